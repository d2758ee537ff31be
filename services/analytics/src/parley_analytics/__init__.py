"""Parley analytics: the event log of every event on the bus and hourly figures for reports."""
