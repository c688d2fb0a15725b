"""Invoices: math, drafting, sending, PDFs, presentation, lifecycle, reminders."""
