"""The outside world behind small interfaces: mail transport (SMTP or files), Stripe, and PDF rendering."""
