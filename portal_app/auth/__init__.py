"""Sign-in: session cookies, one-time tickets bound to their browser, the browser-id middleware, rate limits."""
