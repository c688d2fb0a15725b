"""The staff workspace: one module per screen, each with its own router."""
