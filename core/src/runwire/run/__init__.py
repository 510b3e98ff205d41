"""Runs: events, outputs and the loop that produces them."""
