"""Credit models (issue 4)."""
