"""Reasons in words a person understands, rendered in the reader's language from stored codes."""

from __future__ import annotations

from django.utils import translation
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

from ..models import CreditEvent

# Kind -> a counted noun phrase (plural chosen by the "count" key), for the most common facts.
_COUNTED = {
    CreditEvent.Kind.NO_SHOW: ngettext_lazy("%(count)d no-show", "%(count)d no-shows", "count"),
    CreditEvent.Kind.LATE_CANCELLATION: ngettext_lazy(
        "%(count)d late cancellation", "%(count)d late cancellations", "count"
    ),
    CreditEvent.Kind.USAGE_OVERRUN: ngettext_lazy(
        "%(count)d booking far longer than the time used",
        "%(count)d bookings far longer than the time used",
        "count",
    ),
    CreditEvent.Kind.BOOKING_FULFILLED: ngettext_lazy("%(count)d booking kept", "%(count)d bookings kept", "count"),
    CreditEvent.Kind.SERVICE_DELIVERED: ngettext_lazy(
        "%(count)d service delivered", "%(count)d services delivered", "count"
    ),
    CreditEvent.Kind.LATE_CHECK_IN: ngettext_lazy("%(count)d late check-in", "%(count)d late check-ins", "count"),
    CreditEvent.Kind.PUNCTUAL_CHECK_IN: ngettext_lazy(
        "%(count)d punctual check-in", "%(count)d punctual check-ins", "count"
    ),
    CreditEvent.Kind.DAMAGE_CONFIRMED: ngettext_lazy(
        "%(count)d confirmed damage", "%(count)d confirmed damages", "count"
    ),
    CreditEvent.Kind.PROVIDER_CANCELLATION: ngettext_lazy(
        "%(count)d booking cancelled by the provider",
        "%(count)d bookings cancelled by the provider",
        "count",
    ),
    CreditEvent.Kind.APPROVED_ON_TIME: ngettext_lazy(
        "%(count)d request answered on time", "%(count)d requests answered on time", "count"
    ),
    CreditEvent.Kind.RESPONSE_LATE: ngettext_lazy(
        "%(count)d request answered late", "%(count)d requests answered late", "count"
    ),
    CreditEvent.Kind.PAYMENT_ON_TIME: ngettext_lazy(
        "%(count)d statement paid on time", "%(count)d statements paid on time", "count"
    ),
    CreditEvent.Kind.PAYMENT_LATE: ngettext_lazy(
        "%(count)d statement paid late or overdue", "%(count)d statements paid late or overdue", "count"
    ),
}


def _window(code: str) -> str:
    return {"90d": _("in the last 90 days"), "12m": _("in the last 12 months")}.get(code, _("in total"))


def _kind_label(kind: str) -> str:
    try:
        return str(CreditEvent.Kind(kind).label)
    except ValueError:
        return kind


def reason_text(reason: dict) -> str:
    """One reason as a sentence in the active language."""
    code, p = reason.get("code"), reason.get("params", {})
    if code == "events":
        count, window = p.get("count", 0), _window(p.get("window", ""))
        if p.get("kind") == CreditEvent.Kind.REVIEW_RECEIVED:
            return ngettext(
                "%(count)d review received, %(mean)s stars on average, %(window)s",
                "%(count)d reviews received, %(mean)s stars on average, %(window)s",
                count,
            ) % {"count": count, "mean": p.get("mean", ""), "window": window}
        if p.get("kind") in _COUNTED:
            phrase = _COUNTED[p["kind"]] % {"count": count}
            return _("%(phrase)s %(window)s") % {"phrase": phrase, "window": window}
        return _("%(kind)s: %(count)d %(window)s") % {
            "kind": _kind_label(p.get("kind", "")),
            "count": count,
            "window": window,
        }
    if code == "cap":
        until = parse_date(p.get("until", ""))
        return _("Score capped at %(cap)d until %(until)s after: %(kind)s") % {
            "cap": p.get("cap", 0),
            "until": date_format(until) if until else "",
            "kind": _kind_label(p.get("kind", "")).lower(),
        }
    if code == "unit_status":
        text = _("Verified unit") if p.get("status") == "verified" else _("Unit not verified")
        if p.get("accreditations"):
            text += ngettext(", %(n)d accreditation", ", %(n)d accreditations", p["accreditations"]) % {
                "n": p["accreditations"]
            }
        return text
    if code == "person_identity":
        if p.get("verified_person"):
            return _("Verified by their institution's sign-on")
        return _("Member of a verified unit") if p.get("verified_member") else _("Not a member of any verified unit")
    if code == "external":
        if not p.get("count"):
            return _("No external credit report")
        return ngettext("%(n)d current external credit report", "%(n)d current external credit reports", p["count"]) % {
            "n": p["count"]
        }
    if code == "endorsements":
        return ngettext("Endorsed by %(n)d unit", "Endorsed by %(n)d units", p.get("count", 0)) % {
            "n": p.get("count", 0)
        }
    return code or ""


def reasons_with_text(reasons: list[dict]) -> list[dict]:
    """Stored reasons plus their English text (the stored copy; pages render in the reader's language)."""
    with translation.override("en"):
        return [{**reason, "text": reason_text(reason)} for reason in reasons]
