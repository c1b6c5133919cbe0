"""Old import path of the booking-rules and qualification writes, kept for callers outside the app
(tests/api/world.py). They live in `bookings.services.rules` and `bookings.services.qualifications`."""

from .services.qualifications import qualification_grant_to, qualification_revoke
from .services.rules import (
    POLICY_FIELDS,
    POLICY_INTEGER_BOUNDS,
    RulesValidationError,
    blackout_create,
    blackout_delete,
    booking_policy_update,
    opening_hours_add,
    opening_hours_delete,
    opening_hours_replace,
)

__all__ = [
    "POLICY_FIELDS",
    "POLICY_INTEGER_BOUNDS",
    "RulesValidationError",
    "blackout_create",
    "blackout_delete",
    "booking_policy_update",
    "opening_hours_add",
    "opening_hours_delete",
    "opening_hours_replace",
    "qualification_grant_to",
    "qualification_revoke",
]
