"""Sign-in: session cookies, one-time tickets, rate limits."""
