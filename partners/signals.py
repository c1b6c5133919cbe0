"""Facts of other apps turned into webhook events. Connected in PartnersConfig.ready().

What is hooked, and how:
- booking state changes: bookings' `booking_changed` signal (sent after commit for every audited
  transition); sent only to the partner whose user made the booking. Hours corrected after completion
  (no state change): `booking_hours_corrected` (sent inside the correction's transaction), as
  booking.state_changed with action "hours_corrected", the hours and the overrun it left. A no-show's
  or an overrun's outcome (contested, recorded, dismissed; no state change either): post_save on
  bookings' ContestableFact, as booking.state_changed with action fact_contested | fact_recorded |
  fact_dismissed and the fact.
- list entries published or lifted: pre/post_save on credit.ListEntry (published; revoked or
  repaired via the services' save()), mirrors on a person's other accounts (rule "person", written and
  ended by credit.services.persons with create()/save()) included. Entries that simply run out are ended by
  credit.services.list_entries_expire with a bulk update(), which sends no signal: the hourly
  expired_list_entries_announce (tasks.announce_expired_list_entries) sends their list_entry.lifted.
- statements issued: billing's `statement_issued` signal (sent inside the issuing transaction, so
  the deliveries commit with the statement); sent to each partner whose users the statement bills,
  with those users' lines only.
- score tier changes: credit's `credit_score_changed` signal (sent on commit by the per-subject and
  the full recompute for every new snapshot whose score or tier moved); a tier change queues the
  check that sends the latest snapshot's change (idempotent per snapshot). A subject's first
  snapshot has no previous tier and sends nothing.
Units' events go to every subscribed partner (lists and unit tiers are public); a user's events
only to the partner that created the user.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from billing.models import Statement
from billing.signals import statement_issued
from bookings.models import Booking, ContestableFact
from bookings.signals import booking_changed, booking_hours_corrected
from credit.models import ListEntry
from credit.signals import credit_score_changed
from instruments.models import Unit
from sharing_platform import outbox

from . import selectors, webhooks
from .models import WebhookEvent

logger = logging.getLogger(__name__)

HOURS_CORRECTED = "hours_corrected"  # the action of the correction's history row (bookings.services.attendance)
EXPIRED_LOOKBACK = timedelta(days=7)  # how far back the hourly sweep looks for entries that ran out
LIFTED_STATUSES = {ListEntry.Status.REVOKED, ListEntry.Status.REPAIRED, ListEntry.Status.EXPIRED}


def _subject_data(subject) -> dict:
    if isinstance(subject, Unit):
        return {"type": "unit", "id": subject.pk, "name": subject.name, "credit_code": subject.credit_code}
    return {"type": "user", "id": subject.pk}


def _send_subject_event(*, subject, event: str, event_id: str, data: dict) -> None:
    """Units: every subscriber. Users: only the partner that created the user, with its external_id."""
    if isinstance(subject, Unit):
        endpoints = webhooks.active_endpoints(event=event)
        webhooks.deliveries_create(endpoints=endpoints, event=event, event_id=event_id, data=data)
        return
    for partner_id in selectors.partner_ids_for_user(subject.pk):
        external_id = selectors.partner_user_external_id(partner_id=partner_id, user_id=subject.pk)
        endpoints = webhooks.active_endpoints(event=event, partner_ids=[partner_id])
        subject_data = {**data["subject"], "external_id": external_id}
        webhooks.deliveries_create(
            endpoints=endpoints, event=event, event_id=event_id, data={**data, "subject": subject_data}
        )


def _booking_data(booking: Booking, *, partner_id: int, action: str, audit) -> dict:
    """data of booking.state_changed for one partner: the booking, what happened, and its history row."""
    return {
        "booking": {
            "id": booking.pk,
            "instrument": booking.instrument_id,
            "external_id": selectors.partner_user_external_id(partner_id=partner_id, user_id=booking.requester_id),
            "start": booking.start,
            "end": booking.end,
            "state": booking.state,
        },
        "action": action,
        "from_state": audit.from_state if audit is not None else booking.state,
        "to_state": audit.to_state if audit is not None else booking.state,
        "reason": audit.reason if audit is not None else "",
        "at": audit.at if audit is not None else None,
    }


def _booking_event_send(*, partner_ids: list[int], event_id: str, data_for) -> None:
    event = WebhookEvent.BOOKING_STATE_CHANGED
    for partner_id in partner_ids:
        with transaction.atomic():
            webhooks.deliveries_create(
                endpoints=webhooks.active_endpoints(event=event, partner_ids=[partner_id]),
                event=event,
                event_id=event_id,
                data=data_for(partner_id),
            )


def on_booking_changed(sender, *, booking_id: int, action: str, actor_id=None, **kwargs) -> None:
    try:
        partner_ids = selectors.partner_ids_for_user(
            Booking.objects.filter(pk=booking_id).values_list("requester_id", flat=True).first() or 0
        )
        if not partner_ids:
            return
        booking = selectors.booking_for_webhook(booking_id)
        audit = selectors.booking_event_latest(booking_id=booking_id, action=action)
        if booking is None or audit is None:
            return
        _booking_event_send(
            partner_ids=partner_ids,
            event_id=f"booking-event:{audit.pk}",
            data_for=lambda partner_id: _booking_data(booking, partner_id=partner_id, action=action, audit=audit),
        )
    except Exception:  # a webhook problem must never break the booking flow that sent the signal
        logger.exception("could not create webhook deliveries for booking %s (%s)", booking_id, action)


def on_booking_hours_corrected(sender, *, booking: Booking, previous_hours, reason: str = "", **kwargs) -> None:
    """booking_hours_corrected (inside the correction's transaction, after its history row): booking.state_changed
    with action "hours_corrected", the recorded and corrected hours, the provider's reason and the overrun the
    correction left (pending: the requester may contest it until contestable_until). The deliveries commit or roll
    back with the correction; a webhook problem never breaks it (a savepoint around all of it)."""
    try:
        with transaction.atomic():
            _hours_corrected_send(booking, previous_hours=previous_hours, reason=reason)
    except Exception:
        logger.exception("could not create webhook deliveries for the hours correction of booking %s", booking.pk)


def _hours_corrected_send(booking: Booking, *, previous_hours, reason: str) -> None:
    partner_ids = selectors.partner_ids_for_user(booking.requester_id)
    if not partner_ids:
        return
    audit = selectors.booking_event_latest(booking_id=booking.pk, action=HOURS_CORRECTED)
    if audit is None:
        return
    overrun = selectors.booking_usage_overrun(booking.pk)
    extra = {
        "reason": reason,
        "hours": {"recorded": str(previous_hours), "corrected": str(booking.actual_hours)},
        "overrun": overrun and {"state": overrun.state, "contestable_until": overrun.contestable_until},
    }
    _booking_event_send(
        partner_ids=partner_ids,
        event_id=f"booking-event:{audit.pk}",
        data_for=lambda partner_id: {
            **_booking_data(booking, partner_id=partner_id, action=HOURS_CORRECTED, audit=audit),
            **extra,
        },
    )


FACT_ACTIONS: dict[str, str] = {
    ContestableFact.State.CONTESTED: "fact_contested",
    ContestableFact.State.RECORDED: "fact_recorded",
    ContestableFact.State.DISMISSED: "fact_dismissed",
}


def on_contestable_fact_saved(sender, instance: ContestableFact, created: bool, **kwargs) -> None:
    """A no-show or an overrun contested by the requester, recorded (its window passed, or an administrator upheld
    it) or dismissed by an administrator: booking.state_changed with action fact_contested | fact_recorded |
    fact_dismissed and the fact. Sent in the deciding transaction, once per fact and outcome. Pending and withdrawn
    facts come with the change that made them (no_show, hours_corrected)."""
    action = FACT_ACTIONS.get(instance.state)
    if created or action is None:
        return
    try:
        with transaction.atomic():  # a savepoint: never break the decision that saved the fact
            _fact_outcome_send(instance, action=action)
    except Exception:
        logger.exception("could not create webhook deliveries for contestable fact %s", instance.pk)


def _fact_outcome_send(instance: ContestableFact, *, action: str) -> None:
    booking = selectors.booking_for_webhook(instance.booking_id)
    partner_ids = selectors.partner_ids_for_user(booking.requester_id) if booking is not None else []
    if booking is None or not partner_ids:
        return
    dispute = selectors.fact_dispute(instance.pk)
    if instance.state == ContestableFact.State.CONTESTED:
        reason, at = instance.contest_reason, instance.contested_at
    elif dispute is not None and dispute.decided_at is not None:
        reason, at = dispute.decision_reason, dispute.decided_at
    else:  # recorded when its window passed uncontested
        reason, at = "", instance.recorded_at
    fact = {
        "id": instance.pk,
        "kind": instance.kind,
        "state": instance.state,
        "reason": instance.reason,
        "details": instance.details,
        "occurred_at": instance.occurred_at,
        "contestable_until": instance.contestable_until,
    }

    def data_for(partner_id: int) -> dict:
        base = _booking_data(booking, partner_id=partner_id, action=action, audit=None)
        return {**base, "reason": reason, "at": at or timezone.now(), "fact": fact}

    _booking_event_send(
        partner_ids=partner_ids, event_id=f"contestable-fact:{instance.pk}:{instance.state}", data_for=data_for
    )


def on_list_entry_pre_save(sender, instance: ListEntry, **kwargs) -> None:
    instance._partners_old_status = (  # type: ignore[attr-defined]  # read back by the post_save handler
        ListEntry.objects.filter(pk=instance.pk).values_list("status", flat=True).first() if instance.pk else None
    )


def on_list_entry_saved(sender, instance: ListEntry, created: bool, **kwargs) -> None:
    old = getattr(instance, "_partners_old_status", None)
    new = instance.status
    if old == new:
        return
    if new == ListEntry.Status.PUBLISHED:
        event = WebhookEvent.LIST_ENTRY_PUBLISHED
    elif old == ListEntry.Status.PUBLISHED and new in LIFTED_STATUSES:
        event = WebhookEvent.LIST_ENTRY_LIFTED
    else:
        return
    try:
        with transaction.atomic():
            _list_entry_send(instance, event=event)
    except Exception:  # never break the moderation that saved the entry
        logger.exception("could not create webhook deliveries for list entry %s", instance.pk)


def _list_entry_send(entry: ListEntry, *, event: str) -> None:
    data = {
        "entry": {
            "id": entry.pk,
            "list": entry.list_type,
            "severity": entry.severity,
            # "person": a mirror of a black entry on the same person's other account (issue 18.2), published and
            # lifted with the original; the partner is told like of any entry.
            "rule": entry.rule,
            "status": entry.status,
            "published_at": entry.published_at,
            "expires_at": entry.expires_at,
            "ended_at": entry.ended_at,
        },
        "subject": _subject_data(entry.subject),
    }
    _send_subject_event(subject=entry.subject, event=event, event_id=f"list-entry:{entry.pk}:{entry.status}", data=data)


def expired_list_entries_announce(*, now=None) -> int:
    """Hourly (beat): list_entry.lifted for the entries whose publication ran out in the last EXPIRED_LOOKBACK
    (credit ends them with a bulk update, which sends no signal). Idempotent: an entry already announced to some
    endpoint is skipped, and deliveries are unique per endpoint and event id. Returns the entries announced."""
    now = now or timezone.now()
    entries = list(selectors.list_entries_expired_since(now - EXPIRED_LOOKBACK, until=now))
    announced = selectors.webhook_event_ids_sent([f"list-entry:{entry.pk}:{entry.status}" for entry in entries])
    count = 0
    for entry in entries:
        if f"list-entry:{entry.pk}:{entry.status}" in announced:
            continue
        with transaction.atomic():
            _list_entry_send(entry, event=WebhookEvent.LIST_ENTRY_LIFTED)
        count += 1
    return count


def on_credit_score_changed(sender, *, subject_key: str, old_tier=None, new_tier=None, **kwargs) -> None:
    """credit_score_changed (after commit): a changed tier queues the webhook check in the outbox."""
    if old_tier is None or old_tier == new_tier:
        return
    from .tasks import check_tier_change

    outbox.enqueue(check_tier_change, subject_key)


def tier_change_notify(subject_key: str) -> int:
    """Send credit.tier_changed if the subject's latest snapshot changed its tier. Idempotent per snapshot."""
    kind, _sep, pk = subject_key.partition(":")
    subject = (Unit if kind == "unit" else get_user_model()).objects.filter(pk=int(pk)).first()
    if subject is None:
        return 0
    change = selectors.tier_change_latest(subject)
    if change is None:
        return 0
    previous, latest = change
    data = {
        "subject": _subject_data(subject),
        "previous_tier": previous.tier,
        "tier": latest.tier,
        "score": latest.score,
        "as_of": latest.as_of,
    }
    with transaction.atomic():
        _send_subject_event(
            subject=subject, event=WebhookEvent.CREDIT_TIER_CHANGED, event_id=f"credit-score:{latest.pk}", data=data
        )
    return 1


def on_statement_issued(sender, *, statement: Statement, **kwargs) -> None:
    """statement.issued to each partner whose users the statement bills, with their lines only."""
    event = WebhookEvent.STATEMENT_ISSUED
    try:
        with transaction.atomic():  # a savepoint: a webhook problem never breaks the statement
            for partner_id in selectors.partner_ids_for_statement(statement):
                endpoints = webhooks.active_endpoints(event=event, partner_ids=[partner_id])
                if not endpoints:
                    continue
                partner = endpoints[0].partner
                charges = selectors.partner_statement_charges(partner=partner, statement=statement)
                data = {"statement": statement_data(statement), "charges": [charge_data(c) for c in charges]}
                webhooks.deliveries_create(
                    endpoints=endpoints, event=event, event_id=f"statement:{statement.pk}", data=data
                )
    except Exception:
        logger.exception("could not create webhook deliveries for statement %s", statement.pk)


def statement_data(statement: Statement) -> dict:
    return {
        "id": statement.pk,
        "reference": statement.reference,
        "provider_unit": _subject_data(statement.provider_unit),
        "payer_unit": _subject_data(statement.payer_unit),
        "period_end": statement.period_end,
        "issued_at": statement.issued_at,
        "due_date": statement.due_date,
        "total": str(statement.total),
        "status": statement.status,
    }


def charge_data(charge) -> dict:
    return {
        "id": charge.pk,
        "booking": charge.booking_id,
        "external_id": charge.external_id,
        "kind": charge.kind,
        "project_code": charge.project_code,
        "hours": str(charge.hours),
        "rate_kind": charge.rate_kind,
        "rate": str(charge.rate),
        "amount": str(charge.amount),
        "incurred_at": charge.incurred_at,
    }


def connect() -> None:
    statement_issued.connect(on_statement_issued, dispatch_uid="partners.statement_issued")
    booking_changed.connect(on_booking_changed, dispatch_uid="partners.booking_changed")
    booking_hours_corrected.connect(on_booking_hours_corrected, dispatch_uid="partners.booking_hours_corrected")
    post_save.connect(on_contestable_fact_saved, sender=ContestableFact, dispatch_uid="partners.contestable_fact")
    pre_save.connect(on_list_entry_pre_save, sender=ListEntry, dispatch_uid="partners.list_entry_pre")
    post_save.connect(on_list_entry_saved, sender=ListEntry, dispatch_uid="partners.list_entry_post")
    credit_score_changed.connect(on_credit_score_changed, dispatch_uid="partners.credit_score_changed")
