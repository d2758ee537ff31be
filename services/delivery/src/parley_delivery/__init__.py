"""Parley delivery: every reply sent once, on time, human-paced, inside Meta's policy."""
