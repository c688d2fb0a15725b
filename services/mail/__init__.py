"""Mail queued with the change that causes it (the outbox) and sent by a worker."""
