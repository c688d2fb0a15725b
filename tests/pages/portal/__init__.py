"""The client portal's pages, driven by NiceGUI's simulated user."""
