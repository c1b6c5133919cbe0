"""Booking models (issue 3)."""
