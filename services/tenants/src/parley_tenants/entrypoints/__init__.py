"""gRPC API, operator CLI commands, the token health loop."""
