"""The staff workspace pages, driven by NiceGUI's simulated user over the real app and services."""
