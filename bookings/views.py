"""Booking pages: thin views over selectors and services; they work without JavaScript."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import selectors, selectors_rules, services
from .forms import ActualHoursForm, BookingForm, ReasonForm
from .permissions import allowed_actions
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
    "cancel": lambda request, pk, form: services.booking_cancel(
        booking_id=pk, actor=request.user, reason=form.get("reason", "")
    ),
    "check-in": lambda request, pk, form: services.booking_check_in(booking_id=pk, actor=request.user),
    "check-out": lambda request, pk, form: services.booking_check_out(
        booking_id=pk, actor=request.user, actual_hours=form.get("actual_hours")
    ),
    "no-show": lambda request, pk, form: services.booking_record_no_show(booking_id=pk, actor=request.user),
    "complete": lambda request, pk, form: services.booking_complete(
        booking_id=pk, actor=request.user, actual_hours=form.get("actual_hours")
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


def _booking_form_page(request, refusal, instrument_pk: int):
    instrument = selectors.instrument_get(instrument_pk)
    return _booking_form_render(request, instrument, refusal.form, status=400)


def _booking_form_render(request, instrument, form, *, status: int):
    policy = selectors.booking_policy_get(instrument)
    summary = selectors_rules.rules_summary(instrument, user=request.user)
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
                initial = {"start": start, "end": start + timedelta(hours=1)}
            except ValueError:
                initial = {}
        form = BookingForm(initial=initial)
    return _booking_form_render(request, instrument, form, status=400 if request.method == "POST" else 200)


def _week_start(raw: str | None) -> datetime:
    today = timezone.localdate()
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date() if raw else today  # noqa: DTZ007 - a date, made aware below
    except ValueError:
        day = today
    monday = day - timedelta(days=day.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def instrument_calendar(request, instrument_pk: int):
    """A week grid, one row per hour, each cell free / taken / closed; prev and next week links."""
    instrument = selectors.instrument_get(instrument_pk)
    if instrument is None:
        raise Http404(_("No such instrument."))
    week_start = _week_start(request.GET.get("week"))
    week_end = week_start + timedelta(days=7)
    found = selectors.instrument_availability(instrument=instrument, start=week_start, end=week_end)
    days = [week_start + timedelta(days=i) for i in range(7)]
    now = timezone.now()
    rows = []
    for hour in CALENDAR_HOURS:
        cells = []
        for day in days:
            cell_start = day + timedelta(hours=hour)
            cell_end = cell_start + timedelta(hours=1)
            states = {s.state for s in found if s.start < cell_end and s.end > cell_start}
            label: str
            for state in ("unavailable", "closed", "blackout", "taken"):
                if state in states:
                    label = state
                    break
            else:
                label = "past" if cell_end <= now else "free"
            cells.append({"start": cell_start, "state": label})
        rows.append({"hour": hour, "cells": cells})
    context = {
        "instrument": instrument,
        "days": days,
        "rows": rows,
        "prev_week": (week_start - timedelta(days=7)).date().isoformat(),
        "next_week": week_end.date().isoformat(),
        "week_start": week_start,
        "rules_summary": selectors_rules.rules_summary(instrument, user=request.user),
    }
    return render(request, "bookings/calendar.html", context)


@login_required
def provider_queue(request):
    """Requests waiting for a decision and today's schedule at the units you manage."""
    day_start = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    queue = list(selectors.provider_queue(user=request.user)[:200])
    today = list(
        selectors.provider_schedule(user=request.user, day_start=day_start, day_end=day_start + timedelta(days=1))
    )
    managed = {row["unit_id"] for row in selectors.managed_unit_ids(request.user)}

    def actions(booking):
        provider = request.user.is_staff or booking.instrument.unit_id in managed
        return allowed_actions(request.user, booking, provider=provider)

    # The requester's tier, for a provider deciding the request (bookings.permissions.can_see_requester_tier).
    tiers = selectors.requester_tiers_visible(
        user=request.user,
        bookings=queue,
        provider_of=lambda booking: request.user.is_staff or booking.instrument.unit_id in managed,
    )
    rows = [(booking, actions(booking), tiers.get(booking.pk)) for booking in queue]
    today_rows = [(booking, actions(booking)) for booking in today]
    managed_instruments = selectors_rules.instruments_managed_by(request.user)
    context = {
        "queue": rows,
        "today": today_rows,
        "manages": request.user.is_staff or bool(rows or today_rows or managed_instruments),
        "managed_instruments": managed_instruments,
    }
    return render(request, "bookings/queue.html", context)
