"""Signals the instruments layer sends so that layers above it can take part without an upward import."""

from django.dispatch import Signal

# Sent inside the retire transaction, with the instrument row locked (kwargs: instrument).
# A receiver returns a list of problems, in words, that forbid retiring it now; empty if none.
instrument_retiring = Signal()
