"""The client portal: what a signed-in contact sees, one module per screen."""
