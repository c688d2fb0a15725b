"""The staff workspace: one module per screen, each declaring its pages with `staff_page`."""
