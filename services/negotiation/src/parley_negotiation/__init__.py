"""Parley negotiation: decides what Parley says to each buyer, never below the seller's floor."""
