"""Delivery's handlers: replies, inbound events, human sends, threads, Page profiles."""
