"""Signals billing sends so that layers above it (partners) can take part without billing knowing them."""

from django.dispatch import Signal

statement_issued = Signal()
"""A statement was issued (by a person or the monthly run). Sent INSIDE the issuing transaction, after
its lines are written, so what receivers write (webhook deliveries) commits or rolls back with it.
kwargs: statement (Statement, with provider_unit and payer_unit loaded)."""
