"""Who may see and act on a subject's credit.

A person's credit is personal information. This module holds the one rule every API endpoint and
page that shows a person's score, tier, reasons, history or ledger events applies (`can_view_credit`):

- the full file (score, tier, dimensions, reasons, history, events, every list entry): the person, the
  admins of a verified unit the person belongs to, platform admins, and a partner (by its API key) for the
  users it created;
- the tier that applies to one booking request (`can_see_request_tier`): a provider (manager or admin of
  the instrument's unit) while that request waits for their decision; shown on the booking only;
- everyone else: the published list entries only (units' scores and tiers are public).
"""

from __future__ import annotations

from instruments.models import Membership, Unit
from instruments.permissions import can_administer_unit, is_platform_admin


def _administers_unit_of(viewer, person) -> bool:
    """An admin of a verified unit the person belongs to. Anyone may register a (pending) unit and add
    members by e-mail without their consent, so only verified units count."""
    return Membership.objects.filter(
        user=person,
        unit__status=Unit.Status.VERIFIED,
        unit_id__in=Membership.objects.administered_unit_ids(viewer),
    ).exists()


def can_view_credit(viewer, subject, *, partner_key=None) -> bool:
    """The whole credit file of `subject` (a user or a unit). `partner_key` is the API key a request
    carries (its viewer is anonymous); the key's partner sees the users it created."""
    if isinstance(subject, Unit):
        return can_administer_unit(viewer, subject)
    if partner_key is not None:
        owns_user = getattr(partner_key, "owns_user", None)
        return bool(owns_user is not None and owns_user(subject))
    if not viewer.is_authenticated:
        return False
    return viewer.pk == subject.pk or is_platform_admin(viewer) or _administers_unit_of(viewer, subject)


def can_see_request_tier(viewer, requester, *, deciding_request: bool) -> bool:
    """The tier that applies to one booking request: a provider while the request waits for their decision
    (`deciding_request`, which the bookings layer knows), and whoever may see the whole file."""
    return deciding_request or can_view_credit(viewer, requester)


def can_act_for_subject(user, subject) -> bool:
    """Object to or ask repair of the subject's list entries: the person themselves, or an admin of the
    unit (platform admins may always step in)."""
    if not user.is_authenticated:
        return False
    if isinstance(subject, Unit):
        return can_administer_unit(user, subject)
    return is_platform_admin(user) or user.pk == subject.pk


def can_moderate(user) -> bool:
    return is_platform_admin(user)
