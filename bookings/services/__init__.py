"""The bookings app's write surface: every write of a booking, its use, review, incident and dispute, and
of an instrument's booking rules and qualifications goes through one of these functions.

One module per noun: `bookings` (request and decision), `attendance` (check-in, check-out, no-shows),
`reviews`, `incidents`, `contests` (one-sided facts the requester may contest), `disputes`,
`qualifications`, `rules` (policy, opening hours, blackouts); `locking` (the one lock order) and `history`
(the audit rows) serve them. Callers import from here; inside the package, modules import each other directly.
"""

from .attendance import (
    booking_check_in,
    booking_check_out,
    booking_complete,
    booking_hours_correct,
    booking_record_no_show,
    bookings_mark_no_shows,
)
from .bookings import booking_approve, booking_cancel, booking_create, booking_move, booking_refuse
from .contests import contestable_facts_record_due, fact_contest
from .disputes import dispute_decide
from .history import booking_history_note, booking_reminder_claim
from .incidents import incident_confirm, incident_contest, incident_report
from .qualifications import qualification_grant, qualification_grant_to, qualification_revoke
from .reviews import review_create
from .rules import (
    RulesValidationError,
    blackout_create,
    blackout_delete,
    booking_policy_update,
    opening_hours_add,
    opening_hours_delete,
    opening_hours_replace,
)

__all__ = [
    "RulesValidationError",
    "blackout_create",
    "blackout_delete",
    "booking_approve",
    "booking_cancel",
    "booking_check_in",
    "booking_check_out",
    "booking_complete",
    "booking_create",
    "booking_history_note",
    "booking_hours_correct",
    "booking_move",
    "booking_policy_update",
    "booking_record_no_show",
    "booking_refuse",
    "booking_reminder_claim",
    "bookings_mark_no_shows",
    "contestable_facts_record_due",
    "dispute_decide",
    "fact_contest",
    "incident_confirm",
    "incident_contest",
    "incident_report",
    "opening_hours_add",
    "opening_hours_delete",
    "opening_hours_replace",
    "qualification_grant",
    "qualification_grant_to",
    "qualification_revoke",
    "review_create",
]
