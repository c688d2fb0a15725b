"""Organizations (the agencies): their settings, invoicing defaults and branding."""
