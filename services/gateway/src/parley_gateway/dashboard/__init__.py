"""The seller dashboard, served by the gateway: server-rendered pages over tenants, negotiation
and delivery, for signed-in sellers and only their own data."""
