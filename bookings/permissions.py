"""Who may do what with a booking. Plain predicates shared by services, API and pages."""

from __future__ import annotations

from django.utils import timezone

from credit.permissions import can_see_request_tier
from instruments.permissions import can_manage_instrument, is_platform_admin


def is_requester(user, booking) -> bool:
    return bool(user.is_authenticated and booking.requester_id == user.pk)


def is_provider(user, booking) -> bool:
    """Instrument managers and admins of the instrument's unit, and platform admins."""
    return bool(user.is_authenticated and can_manage_instrument(user, booking.instrument))


def can_view_booking(user, booking) -> bool:
    return is_requester(user, booking) or is_provider(user, booking)


def can_see_requester_tier(user, booking, *, provider: bool | None = None) -> bool:
    """The requester's credit tier on this booking: the instrument's managers while the request waits for
    their decision, and whoever may see the requester's whole credit file (credit.permissions).
    `provider` may be passed when the caller already knows it (lists)."""
    deciding = booking.state == "requested" and (is_provider(user, booking) if provider is None else provider)
    return can_see_request_tier(user, booking.requester, deciding_request=deciding)


def can_decide_booking(user, booking) -> bool:
    """Approve, refuse, record a no-show, complete."""
    return is_provider(user, booking)


def can_cancel_booking(user, booking) -> bool:
    return is_requester(user, booking) or is_provider(user, booking)


def can_check_in_out(user, booking) -> bool:
    return is_requester(user, booking) or is_provider(user, booking)


def can_move_booking(user, booking) -> bool:
    return is_requester(user, booking) or is_provider(user, booking)


def can_decide_dispute(user) -> bool:
    return is_platform_admin(user)


def can_view_incident(user, incident) -> bool:
    """Platform admins (who decide disputes), and whoever may see the incident's booking."""
    return is_platform_admin(user) or can_view_booking(user, incident.booking)


def allowed_actions(user, booking, *, provider: bool | None = None) -> list[str]:
    """The transitions this user may trigger now (for buttons): permission and state together.

    `provider` may be passed when the caller already knows it (lists), to save a query per row.
    """
    state = booking.state
    requester = is_requester(user, booking)
    provider = is_provider(user, booking) if provider is None else provider
    actions: list[str] = []
    if provider and state == "requested":
        actions += ["approve", "refuse"]
    if (requester or provider) and state in {"requested", "approved"}:
        actions += ["cancel", "move"]
    if (requester or provider) and state == "approved":
        actions.append("check-in")
    if (requester or provider) and state == "in_use":
        actions.append("check-out")
    if provider and state == "approved":
        actions.append("no-show")
    if provider and state in {"approved", "in_use"}:
        actions.append("complete")
    return actions


# --- Reviews and incidents on the pages -------------------------------------------------------


def booking_side(user, booking) -> str | None:
    """ "requester" or "provider" when the user is a party to the booking, else None."""
    if is_requester(user, booking):
        return "requester"
    if is_provider(user, booking):
        return "provider"
    return None


def can_review_booking(user, booking, *, reviewed_sides) -> bool:
    """A party whose side has not reviewed this completed booking yet."""
    side = booking_side(user, booking)
    return booking.state == "completed" and side is not None and side not in set(reviewed_sides)


def can_report_incident(user, booking) -> bool:
    return booking.state in {"in_use", "completed"} and booking_side(user, booking) is not None


def can_contest_incident(user, incident) -> bool:
    """The accused side, while the report is unanswered."""
    side = booking_side(user, incident.booking)
    return incident.state == "reported" and side is not None and side != incident.reporter_side


def can_confirm_incident(user, incident) -> bool:
    """The accused side (or a platform admin), while the report is unanswered. Nobody confirms a fraud report:
    a platform admin decides it as a dispute."""
    if incident.kind == "fraud":
        return False
    return can_contest_incident(user, incident) or (incident.state == "reported" and is_platform_admin(user))


def can_correct_hours(user, booking, *, until) -> bool:
    """The instrument's managers, for a completed booking, until the window to contest its facts closes."""
    return booking.state == "completed" and timezone.now() < until and can_decide_booking(user, booking)


def can_contest_fact(user, fact, *, now) -> bool:
    """The requester, about whom a one-sided fact was asserted, while it is pending and its window open."""
    return is_requester(user, fact.booking) and fact.state == "pending" and now < fact.contestable_until
