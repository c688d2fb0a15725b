"""Portico: the running NiceGUI app (pages, routes, middleware, app factory)."""
