"""The negotiation engine: pure code, no I/O. Reading (understanding a buyer's message),
strategy (what to offer), replies (what to say) and the engine that ties them together."""
