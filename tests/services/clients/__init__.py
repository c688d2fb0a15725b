"""Clients, contacts, magic links and portal sessions."""
