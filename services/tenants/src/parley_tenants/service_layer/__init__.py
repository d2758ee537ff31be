"""Handlers: each one a unit of work over the adapters."""
