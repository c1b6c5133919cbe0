"""What a refused request must leave as it was: every row a write of the platform could touch.

    with nothing_changed():
        response = api_client.post(...)
    assert response.status_code == 403

compares the rows of the watched models (all their fields) before and after, so a refusal that still
wrote a booking, a ledger event, an outbox message or a changed field fails, naming the model.
Not watched: static reference data (regions, categories), sign-in audit rows and sessions, partner keys'
``last_used_at`` and idempotency records (a refusal is recorded for replay), users' ``last_login``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.contrib.auth import get_user_model

WATCHED = (
    "outbox.OutboxMessage",
    "instruments.Unit", "instruments.Membership", "instruments.Instrument", "instruments.InstrumentPhoto",
    "identity.IdentityProvider", "identity.Person", "identity.PersonAccount", "identity.ExternalIdentity",
    "identity.PersonIdentifier", "identity.PersonVouch", "identity.ReRegistrationFlag",
    "notifications.RobotWebhook", "notifications.RobotMessage",
    "credit.CreditEvent", "credit.CreditScore", "credit.Endorsement", "credit.ExternalCreditReport",
    "credit.ListEntry", "credit.Appeal", "credit.RepairRequest", "credit.TrustedProviderBadge",
    "bookings.BookingPolicy", "bookings.OpeningHours", "bookings.Blackout", "bookings.Qualification",
    "bookings.Booking", "bookings.BookingEvent", "bookings.Review", "bookings.Incident",
    "bookings.IncidentAttachment", "bookings.Dispute", "bookings.ContestableFact",
    "billing.InstrumentBilling", "billing.ProviderBilling", "billing.Charge", "billing.Statement",
    "billing.StatementLine", "billing.Payment",
    "partners.Partner", "partners.PartnerUser", "partners.WebhookEndpoint", "partners.WebhookDelivery",
    "partners.PartnerCreditReport",
)  # fmt: skip


def database_state() -> dict[str, list[dict]]:
    """Every row of the watched models, as dictionaries of all their fields, in primary-key order."""
    state = {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in WATCHED}
    users = get_user_model().objects.order_by("pk").values()
    state["users"] = [{k: v for k, v in row.items() if k != "last_login"} for row in users]
    return state


@contextmanager
def nothing_changed() -> Iterator[None]:
    """Assert that the block leaves every watched row as it found it (and writes no new one)."""
    before = database_state()
    yield
    after = database_state()
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"a refused request changed {changed}: " + "; ".join(
        f"{label}: {len(before[label])} -> {len(after[label])} rows" for label in changed
    )
