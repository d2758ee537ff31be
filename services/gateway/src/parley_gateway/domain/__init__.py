"""Gateway domain."""
