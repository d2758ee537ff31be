"""Entrypoints: JetStream consumers, the gRPC API, the operator command."""
