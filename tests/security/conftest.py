"""Hypothesis keeps no example database here: the suite leaves no files behind (like pytest's cache, turned off)."""

from hypothesis import settings

settings.register_profile("runwire", database=None, print_blob=True)
settings.load_profile("runwire")
