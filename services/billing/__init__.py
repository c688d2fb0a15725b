"""Invoices: drafting and numbering, views and totals, listing, manual payments, client access by link or
portal, receivables and reminders."""
