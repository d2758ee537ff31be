"""Delivery's adapters: PostgreSQL, the Graph API, the tenants service, the outbox."""
