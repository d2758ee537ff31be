"""PostgreSQL repositories, token encryption, Facebook calls, outbox events."""
