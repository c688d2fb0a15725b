"""Page tests: the staff workspace and the client portal, through NiceGUI's simulated user, and sections built from view data."""
