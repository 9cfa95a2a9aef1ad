"""Effects: database writes, notifications and scheduling, each idempotent."""
