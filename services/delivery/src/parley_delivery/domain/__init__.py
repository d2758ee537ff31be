"""Delivery's pure rules: the messaging window, splitting, pacing, rate buckets, outcomes."""
