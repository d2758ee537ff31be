"""PostgreSQL access for analytics: the event log, conversation state, hourly figures."""
