"""Parley tenants: sellers, connected Pages, encrypted Page tokens, settings and listings."""
