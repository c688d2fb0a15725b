"""Sign-in building blocks of portal_app/auth."""
