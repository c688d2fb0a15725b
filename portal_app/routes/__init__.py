"""Plain HTTP routes: the API, webhooks, downloads, link landing, health."""
