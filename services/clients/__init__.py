"""Client companies and their contacts, and how contacts sign in: magic links and portal sessions."""
