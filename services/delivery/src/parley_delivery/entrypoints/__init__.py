"""Delivery's entrypoints: the gRPC API and the JetStream consumers."""
