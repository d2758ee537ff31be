"""Gateway entrypoints."""
