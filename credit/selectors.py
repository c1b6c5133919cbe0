"""Reads of the credit layer that other apps use: a subject's standing and what it allows.

Bookings (above this layer) asks here for tiers and gates; it never reads credit.models directly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreditStanding:
    """What a subject's credit means for a booking, in one value the booking policy can consult."""

    score: int | None
    tier: str  # excellent | good | fair | poor | bad | "" (not yet scored)
    blacklisted: bool
    deposit_waived: bool
    auto_approval_eligible: bool
    # Multipliers the booking policy applies to its horizon and hours quota (1.0 = unchanged).
    horizon_factor: float = 1.0
    quota_factor: float = 1.0


NEUTRAL_STANDING = CreditStanding(
    score=None, tier="", blacklisted=False, deposit_waived=False, auto_approval_eligible=False
)


def credit_standing_for_user(user) -> CreditStanding:
    """The booking-relevant standing of a user. Until the credit engine scores them: neutral."""
    return NEUTRAL_STANDING


def credit_standing_for_unit(unit) -> CreditStanding:
    """The standing of a provider or booking unit. Until the credit engine scores it: neutral."""
    return NEUTRAL_STANDING
