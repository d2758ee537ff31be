"""Handlers: ingesting batches of facts, deletion requests, reports."""
