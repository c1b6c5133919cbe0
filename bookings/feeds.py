"""Calendar feeds (iCalendar, RFC 5545) at secret-token URLs, and the page that hands them out.

Three feeds, each behind a token signed with ``django.core.signing.Signer`` (HMAC-SHA256 with
SECRET_KEY and a per-feed salt; no table needed, and the same URL every time it is shown):

* user feed: the user's own bookings. The token carries the user id and a short HMAC of the user's
  password hash, so changing the password revokes every feed URL handed out before (the same idea
  Django uses for password-reset links and session invalidation).
* public instrument feed: the instrument's reserved slots, each shown as "Booked" with no personal
  data; it only repeats what the public availability calendar already shows, so it does not rotate.
* staff instrument feed: the same slots with the requester's name and purpose, for one instrument
  manager; the token carries the manager's id and password key, and the view re-checks on every
  fetch that the manager may still manage the instrument.

A bad, tampered or revoked token is a 404, never a 403, so tokens cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration

from instruments.models import Instrument, Unit
from instruments.permissions import can_manage_instrument
from sharing_platform.http import AuthenticatedHttpRequest

from .models import Booking, BookingState

USER_FEED_SALT = "bookings.feed.user"
INSTRUMENT_FEED_SALT = "bookings.feed.instrument"
STAFF_FEED_SALT = "bookings.feed.instrument-staff"
PRODID = "-//Instrument Sharing Platform//Bookings//EN"
# Feeds cover a bounded window so they stay small for busy instruments and long-time users.
FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=400)
# Calendar clients poll; this is a hint for how often (Apple, Outlook and Google read one of these).
REFRESH_INTERVAL = timedelta(hours=1)


# --- tokens ---------------------------------------------------------------------------------


def user_feed_key(user) -> str:
    """A short key derived from the password hash: a new password gives a new key, revoking old URLs."""
    return salted_hmac("bookings.feed.user-key", user.password or "", algorithm="sha256").hexdigest()[:16]


def _token_make(payload: dict, *, salt: str) -> str:
    # No timestamp (unlike signing.dumps): a feed URL is the same every time it is shown.
    return signing.Signer(salt=salt).sign_object(payload)


def user_feed_token(user) -> str:
    return _token_make({"u": user.pk, "k": user_feed_key(user)}, salt=USER_FEED_SALT)


def instrument_feed_token(instrument) -> str:
    return _token_make({"i": instrument.pk}, salt=INSTRUMENT_FEED_SALT)


def staff_feed_token(user, instrument) -> str:
    return _token_make({"i": instrument.pk, "u": user.pk, "k": user_feed_key(user)}, salt=STAFF_FEED_SALT)


def _token_load(token: str, *, salt: str) -> dict:
    try:
        payload = signing.Signer(salt=salt).unsign_object(token)
    except signing.BadSignature as error:
        raise Http404("Unknown feed") from error
    if not isinstance(payload, dict):
        raise Http404("Unknown feed")
    return payload


def user_from_feed_token(token: str, *, salt: str = USER_FEED_SALT):
    """The active user the token was made for, or 404 (bad signature, unknown user, password changed)."""
    payload = _token_load(token, salt=salt)
    user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()  # type: ignore[misc]  # None finds nobody
    if user is None or payload.get("k") != user_feed_key(user):
        raise Http404("Unknown feed")
    return user


# --- rendering (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEvent:
    """One VEVENT, already reduced to what the feed's audience may see."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    location: str = ""
    description: str = ""
    url: str = ""
    last_modified: datetime | None = None
    sequence: int = 0


def calendar_render(*, name: str, events: Iterable[FeedEvent], stamp: datetime | None = None) -> bytes:
    """The iCalendar document for ``events``. Times are written in UTC, so no VTIMEZONE is needed."""
    stamp = (stamp or timezone.now()).astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))  # an iCalendar duration (PT1H), as Outlook reads it
    for item in events:
        if timezone.is_naive(item.start) or timezone.is_naive(item.end):
            raise ValueError("feed events need aware datetimes")
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start.astimezone(UTC))
        event.add("dtend", item.end.astimezone(UTC))
        event.add("summary", item.summary)
        event.add("status", item.status)
        event.add("sequence", item.sequence)
        event.add("transp", "TRANSPARENT" if item.status == "CANCELLED" else "OPAQUE")
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        if item.last_modified is not None:
            event.add("last-modified", item.last_modified.astimezone(UTC))
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_response(body: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # The URL is the secret: keep it out of shared caches.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def uid_domain() -> str:
    return getattr(settings, "CALENDAR_UID_DOMAIN", "instrument-sharing.local")


# --- bookings as feed events -----------------------------------------------------------------

_STATUS_BY_STATE: dict[str, str] = {
    BookingState.REQUESTED: "TENTATIVE",
    BookingState.APPROVED: "CONFIRMED",
    BookingState.IN_USE: "CONFIRMED",
    BookingState.COMPLETED: "CONFIRMED",
    BookingState.NO_SHOW: "CONFIRMED",
    BookingState.REFUSED: "CANCELLED",
    BookingState.CANCELLED: "CANCELLED",
}
# What the public instrument feed shows: the slots that hold the instrument (and held it).
PUBLIC_STATES = (BookingState.APPROVED, BookingState.IN_USE, BookingState.COMPLETED)


def _occupied_end(booking: Booking) -> datetime:
    """Where a no-show or early check-out gave the rest of the slot back, the slot ends there."""
    released = booking.released_at
    if released is not None and booking.start < released < booking.end:
        return released
    return booking.end


def _detail_url(request: HttpRequest, booking: Booking) -> str:
    try:
        return request.build_absolute_uri(reverse("bookings:detail", args=[booking.pk]))
    except NoReverseMatch:
        return ""


def _location(booking: Booking) -> str:
    instrument = booking.instrument
    return ", ".join(part for part in (instrument.location, instrument.unit.display_name) if part)


def user_feed_event(request: HttpRequest, booking: Booking) -> FeedEvent:
    """A booking as its requester sees it: everything about their own booking."""
    state_label = booking.get_state_display()
    lines = [
        _("State: %(state)s") % {"state": state_label},
        _("Purpose: %(purpose)s") % {"purpose": booking.purpose},
        _("Price: %(price)s CNY") % {"price": booking.price},
    ]
    if booking.state == BookingState.REFUSED and booking.refusal_reason:
        lines.append(_("Reason for refusal: %(reason)s") % {"reason": booking.refusal_reason})
    summary = booking.instrument.display_name
    if booking.state != BookingState.APPROVED:
        summary = f"{summary} ({state_label})"
    return FeedEvent(
        uid=f"booking-{booking.pk}@{uid_domain()}",
        start=booking.start,
        end=booking.end,
        summary=summary,
        status=_STATUS_BY_STATE.get(booking.state, "TENTATIVE"),
        location=_location(booking),
        description="\n".join(lines),
        url=_detail_url(request, booking),
        last_modified=booking.updated_at,
    )


def public_feed_event(booking: Booking) -> FeedEvent:
    """A reserved slot as anyone may see it: "Booked", no names, no purpose."""
    return FeedEvent(
        uid=f"booking-{booking.pk}-slot@{uid_domain()}",
        start=booking.start,
        end=_occupied_end(booking),
        summary=_("Booked"),
        status="CONFIRMED",
        location=booking.instrument.location,
    )


def staff_feed_event(request: HttpRequest, booking: Booking) -> FeedEvent:
    """A booking as the instrument's manager sees it: who, what for, in which state."""
    state_label = booking.get_state_display()
    requester = booking.requester.get_full_name() or booking.requester.get_username()
    lines = [
        _("Requested by: %(name)s") % {"name": requester},
        _("State: %(state)s") % {"state": state_label},
        _("Purpose: %(purpose)s") % {"purpose": booking.purpose},
    ]
    if booking.requester_unit is not None:
        lines.insert(1, _("Unit: %(unit)s") % {"unit": booking.requester_unit.display_name})
    if booking.project_code:
        lines.append(_("Project code: %(code)s") % {"code": booking.project_code})
    if booking.operator_assisted:
        lines.append(_("With operator assistance"))
    summary = f"{requester}: {booking.instrument.display_name}"
    if booking.state != BookingState.APPROVED:
        summary = f"{summary} ({state_label})"
    return FeedEvent(
        uid=f"booking-{booking.pk}-staff@{uid_domain()}",
        start=booking.start,
        end=booking.end,
        summary=summary,
        status=_STATUS_BY_STATE.get(booking.state, "TENTATIVE"),
        location=_location(booking),
        description="\n".join(lines),
        url=_detail_url(request, booking),
        last_modified=booking.updated_at,
    )


def _window(queryset):
    now = timezone.now()
    return queryset.filter(end__gte=now - FEED_PAST, start__lte=now + FEED_FUTURE).order_by("start", "pk")


# --- views -----------------------------------------------------------------------------------


def user_feed(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the token holder's own bookings, every state (refused and cancelled ones as CANCELLED)."""
    user = user_from_feed_token(token)
    bookings = _window(Booking.objects.filter(requester=user).select_related("instrument__unit"))
    body = calendar_render(
        name=_("My instrument bookings"),
        events=[user_feed_event(request, booking) for booking in bookings],
    )
    return calendar_response(body, filename="bookings.ics")


def instrument_feed(request: HttpRequest, token: str) -> HttpResponse:
    """GET: an instrument's reserved slots, shown as "Booked" only."""
    instrument = _instrument_or_404(_token_load(token, salt=INSTRUMENT_FEED_SALT).get("i"))
    bookings = _window(
        Booking.objects.filter(instrument=instrument, state__in=PUBLIC_STATES).select_related("instrument")
    )
    body = calendar_render(
        name=_("%(instrument)s: booked slots") % {"instrument": instrument.display_name},
        events=[public_feed_event(booking) for booking in bookings],
    )
    return calendar_response(body, filename=f"instrument-{instrument.pk}.ics")


def staff_feed(request: HttpRequest, token: str) -> HttpResponse:
    """GET: an instrument's bookings with the requesters' names, for a manager who still manages it."""
    payload = _token_load(token, salt=STAFF_FEED_SALT)
    user = user_from_feed_token(token, salt=STAFF_FEED_SALT)
    instrument = _instrument_or_404(payload.get("i"))
    if not can_manage_instrument(user, instrument):
        raise Http404("Unknown feed")
    bookings = _window(
        Booking.objects.filter(instrument=instrument).select_related("instrument__unit", "requester", "requester_unit")
    )
    body = calendar_render(
        name=_("%(instrument)s: bookings") % {"instrument": instrument.display_name},
        events=[staff_feed_event(request, booking) for booking in bookings],
    )
    return calendar_response(body, filename=f"instrument-{instrument.pk}-staff.ics")


def _instrument_or_404(pk) -> Instrument:
    if not isinstance(pk, int):
        raise Http404("Unknown feed")
    instrument = Instrument.objects.select_related("unit").filter(pk=pk).first()
    if instrument is None:
        raise Http404("Unknown feed")
    return instrument


def _feed_links(request: HttpRequest, name: str, token: str) -> dict:
    url = request.build_absolute_uri(reverse(name, args=[token]))
    return {"https": url, "webcal": "webcal://" + url.split("://", 1)[1]}


@login_required
def feeds_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the signed-in user's feed URL and, for instrument managers, their instruments' feed URLs."""
    user = request.user
    managed = (
        Instrument.objects.filter(unit__in=Unit.objects.managed_by(user).verified())
        .exclude(status=Instrument.Status.RETIRED)
        .select_related("unit")
        .order_by("unit__name", "name", "pk")
    )
    instruments = [
        {
            "instrument": instrument,
            "public": _feed_links(request, "bookings:feed-instrument", instrument_feed_token(instrument)),
            "staff": _feed_links(request, "bookings:feed-staff", staff_feed_token(user, instrument)),
        }
        for instrument in managed
    ]
    context = {
        "user_feed": _feed_links(request, "bookings:feed-user", user_feed_token(user)),
        "instruments": instruments,
        "feed_past_days": FEED_PAST.days,
        "feed_future_days": FEED_FUTURE.days,
    }
    return render(request, "bookings/feeds/index.html", context)
