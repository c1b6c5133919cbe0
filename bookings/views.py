"""Booking pages: thin views over selectors and services; they work without JavaScript."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.permissions import is_platform_admin
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import selectors, services
from .availability import covers
from .forms import ActualHoursForm, BookingForm, ReasonForm
from .permissions import allowed_actions, can_decide_dispute
from .views_forms import detail_context  # the detail page's forms (move, review, incidents)

CALENDAR_HOURS = range(0, 24)


@login_required
def my_bookings(request):
    bookings = list(selectors.booking_list_mine(user=request.user)[:200])
    return render(request, "bookings/mine.html", {"bookings": bookings})


@login_required
def booking_detail(request, pk: int):
    booking = selectors.booking_get_for(user=request.user, pk=pk)
    if booking is None:
        raise Http404(_("No such booking."))
    return render(request, "bookings/detail.html", detail_context(request, booking))


ACTIONS = {
    "approve": lambda request, pk, form: services.booking_approve(booking_id=pk, actor=request.user),
    "refuse": lambda request, pk, form: services.booking_refuse(
        booking_id=pk, actor=request.user, reason=form.get("reason", "")
    ),
    "check-in": lambda request, pk, form: services.booking_check_in(booking_id=pk, actor=request.user),
    "check-out": lambda request, pk, form: services.booking_check_out(
        booking_id=pk, actor=request.user, actual_hours=form.get("actual_hours"), reason=form.get("reason", "")
    ),
    "no-show": lambda request, pk, form: services.booking_record_no_show(booking_id=pk, actor=request.user),
    "complete": lambda request, pk, form: services.booking_complete(
        booking_id=pk, actor=request.user, actual_hours=form.get("actual_hours"), reason=form.get("reason", "")
    ),
}


def _after_action(request, pk: int, action: str = "") -> str:
    """Where a transition button leads back to: the provider desk, or the booking."""
    if request.POST.get("next") == "desk":
        return reverse("bookings:provider-queue")
    return reverse("bookings:detail", args=[pk])


@login_required
@domain_error_pages(redirect_to=_after_action)
def booking_action(request, pk: int, action: str):
    """POST a transition from a button; a refusal comes back as a message on the detail page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    handler = ACTIONS.get(action)
    booking = selectors.booking_get_for(user=request.user, pk=pk)
    if handler is None or booking is None:
        raise Http404(_("No such booking."))
    form_class = ActualHoursForm if action in {"check-out", "complete"} else ReasonForm
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        handler(request, pk, form.cleaned_data)
        messages.success(request, _("Done."))
    return redirect(_after_action(request, pk))


def _cancel_page(request, booking, form, *, status: int = 200):
    context = {
        "booking": booking,
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "consequences": selectors.cancellation_consequences(booking=booking, user=request.user),
    }
    return render(request, "bookings/cancel_confirm.html", context, status=status)


def _cancel_refused_page(request, refusal, pk: int):
    return _cancel_page(request, selectors.booking_get_for(user=request.user, pk=pk), refusal.form, status=400)


@login_required
@domain_error_pages(form_page=_cancel_refused_page, redirect_to=_after_action)
def booking_cancel(request, pk: int):
    """Cancelling takes two steps without JavaScript: this page says first what the cancellation will mean
    (late, deposit forfeited, counted against credit), then its button posts `confirmed=yes`."""
    booking = selectors.booking_get_for(user=request.user, pk=pk)
    if booking is None:
        raise Http404(_("No such booking."))
    if "cancel" not in allowed_actions(request.user, booking):
        messages.error(request, _("This booking can no longer be cancelled."))
        return redirect("bookings:detail", pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and request.POST.get("confirmed") == "yes" and form.is_valid():
        with refusal_shown_on(form, conflicts=False):
            services.booking_cancel(booking_id=pk, actor=request.user, reason=form.cleaned_data.get("reason", ""))
        messages.success(request, _("The booking is cancelled."))
        return redirect(_after_action(request, pk))
    return _cancel_page(request, booking, form)


def _booking_form_page(request, refusal, instrument_pk: int):
    instrument = selectors.instrument_get(instrument_pk)
    return _booking_form_render(request, instrument, refusal.form, status=400)


def _booking_form_render(request, instrument, form, *, status: int):
    policy = selectors.booking_policy_get(instrument)
    summary = selectors.rules_summary(instrument, user=request.user)
    context = {"form": form, "instrument": instrument, "policy": policy, "rules_summary": summary}
    return render(request, "bookings/form.html", context, status=status)


@login_required
@domain_error_pages(form_page=_booking_form_page)
def booking_create(request, instrument_pk: int):
    instrument = selectors.instrument_get(instrument_pk)
    if instrument is None:
        raise Http404(_("No such instrument."))
    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            with refusal_shown_on(form):
                booking = services.booking_create(instrument=instrument, requester=request.user, **form.cleaned_data)
            messages.success(request, _("Your booking #%(id)s is %(state)s.") % {
                "id": booking.pk, "state": booking.get_state_display().lower()})  # fmt: skip
            return redirect("bookings:detail", pk=booking.pk)
    else:
        initial = {}
        if request.GET.get("start"):
            try:
                start = datetime.fromisoformat(request.GET["start"])
                length = booking_default_length(selectors.booking_policy_get(instrument))
                initial = {"start": start, "end": start + length}
            except ValueError:
                initial = {}
        form = BookingForm(initial=initial)
    return _booking_form_render(request, instrument, form, status=400 if request.method == "POST" else 200)


def _calendar_start(raw: str | None) -> tuple[datetime, bool]:
    """(first day shown, aligned to Monday). Without `week` the grid starts today, so a phone sees the days
    ahead first; `week=<date>` shows that date's Monday-to-Sunday week."""
    today = timezone.localdate()
    day = None
    if raw:
        try:
            day = datetime.strptime(raw, "%Y-%m-%d").date()  # noqa: DTZ007 - a date, made aware below
        except ValueError:
            day = None
    if day is None:
        return timezone.make_aware(datetime.combine(today, datetime.min.time())), False
    monday = day - timedelta(days=day.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time())), True


def booking_default_length(policy) -> timedelta:
    """The length a calendar link proposes: an hour, or the instrument's minimum duration when longer."""
    return max(timedelta(hours=1), timedelta(minutes=policy.min_duration_minutes))


def instrument_calendar(request, instrument_pk: int):
    """A week grid, one row per hour. A cell is offered as free only when a booking starting there passes the
    time rules (not past, minimum notice, horizon, opening hours, blackouts, other bookings); the person's own
    bookings are marked as theirs."""
    instrument = selectors.instrument_get(instrument_pk)
    if instrument is None:
        raise Http404(_("No such instrument."))
    week_start, aligned = _calendar_start(request.GET.get("week"))
    week_end = week_start + timedelta(days=7)
    found = selectors.instrument_availability(instrument=instrument, start=week_start, end=week_end)
    free = [(slot.start, slot.end) for slot in found if slot.state == "free"]
    mine = selectors.user_bookings_between(instrument=instrument, user=request.user, start=week_start, end=week_end)
    window = selectors.bookable_window(instrument=instrument, user=request.user)
    length = booking_default_length(window["policy"])
    days = [week_start + timedelta(days=i) for i in range(7)]
    rows = []
    for hour in CALENDAR_HOURS:
        cells = []
        for day in days:
            cell_start = timezone.make_aware(datetime.combine(day.date(), datetime.min.time())) + timedelta(hours=hour)
            cell_end = cell_start + timedelta(hours=1)
            own = next((b for b in mine if b.start < cell_end and b.end > cell_start), None)
            states = {s.state for s in found if s.start < cell_end and s.end > cell_start}
            label: str
            cell: dict[str, object] = {"start": cell_start, "booking": own}
            if own is not None:
                label = "mine"
            else:
                for state in ("unavailable", "closed", "blackout", "taken"):
                    if state in states:
                        label = state
                        break
                else:
                    label = "free"
                if label == "free":
                    if cell_start < window["now"]:
                        label = "past"
                    elif cell_start < window["earliest"]:
                        label = "notice"
                    elif cell_start > window["latest"]:
                        label = "horizon"
                    elif not covers(free, cell_start, cell_start + length):
                        label = "too-short"
            cell["state"] = label
            cells.append(cell)
        rows.append({"hour": hour, "cells": cells})
    step = timedelta(days=7)
    context = {
        "instrument": instrument,
        "days": days,
        "rows": rows,
        "prev_week": (week_start - step).date().isoformat(),
        "next_week": week_end.date().isoformat(),
        "week_start": week_start,
        "aligned": aligned,
        "this_week": (week_start - timedelta(days=week_start.weekday())).date().isoformat(),
        "window": window,
        "rules_summary": selectors.rules_summary(instrument, user=request.user),
    }
    return render(request, "bookings/calendar.html", context)


DESK_UPCOMING_PER_PAGE = 20


@login_required
def provider_queue(request):
    """The provider desk at the units you manage: requests waiting for a decision (with the requester's
    credit tier), today's schedule, and the approved bookings still to come (paged)."""
    now = timezone.now()
    day_start = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    day_end = day_start + timedelta(days=1)
    queue = list(selectors.provider_queue(user=request.user)[:200])
    today = list(selectors.provider_schedule(user=request.user, day_start=day_start, day_end=day_end))
    upcoming_page = Paginator(selectors.provider_upcoming(user=request.user, after=day_end), DESK_UPCOMING_PER_PAGE)
    upcoming = upcoming_page.get_page(request.GET.get("page"))
    managed = {row["unit_id"] for row in selectors.managed_unit_ids(request.user)}
    platform_admin = is_platform_admin(request.user)

    def provides(booking) -> bool:
        return platform_admin or booking.instrument.unit_id in managed

    def actions(booking, *, desk_cancel: bool = True):
        offered = selectors.booking_actions_offered(request.user, booking, provider=provides(booking), now=now)
        # A request is turned down with Refuse; cancelling it stays on the booking's own page.
        return [action for action in offered if desk_cancel or action["name"] != "cancel"]

    # The requester's tier, for a provider deciding the request (bookings.permissions.can_see_requester_tier).
    tiers = selectors.requester_tiers_visible(user=request.user, bookings=queue, provider_of=provides)
    rows = [(booking, actions(booking, desk_cancel=False), tiers.get(booking.pk)) for booking in queue]
    today_rows = [(booking, actions(booking)) for booking in today]
    upcoming_rows = [(booking, actions(booking)) for booking in upcoming.object_list]
    managed_instruments = selectors.instruments_managed_by(request.user)
    context = {
        "queue": rows,
        "today": today_rows,
        "upcoming": upcoming_rows,
        "upcoming_page": upcoming,
        "manages": platform_admin or bool(rows or today_rows or upcoming_rows or managed_instruments),
        "decides_disputes": can_decide_dispute(request.user),
        "managed_instruments": managed_instruments,
    }
    return render(request, "bookings/queue.html", context)
