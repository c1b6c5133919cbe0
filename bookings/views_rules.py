"""The booking-rules page of one instrument, for its managers: policy, opening hours, blackouts,
qualifications. Each form posts to its own URL; a refusal re-renders the page with the errors next
to the fields (400), a success redirects back with a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from instruments.permissions import can_manage_instrument
from sharing_platform.errors import DomainPermissionError
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import selectors
from .forms import BlackoutForm, BookingPolicyForm, OpeningHoursForm, QualificationGrantForm
from .models import WEEKDAYS
from .services.qualifications import qualification_grant_to, qualification_revoke
from .services.rules import (
    POLICY_FIELDS,
    blackout_create,
    blackout_delete,
    booking_policy_update,
    opening_hours_add,
    opening_hours_delete,
)


def _managed_instrument(request, instrument_pk: int):
    instrument = selectors.instrument_get(instrument_pk)
    if instrument is None:
        raise Http404(_("No such instrument."))
    if not can_manage_instrument(request.user, instrument):
        raise DomainPermissionError(_("Only the instrument's managers can change its booking rules."))
    return instrument


def _page(request, instrument, *, status: int = 200, **forms):
    policy = selectors.booking_policy_get(instrument)
    initial = {field: getattr(policy, field) for field in POLICY_FIELDS}
    hours = list(selectors.opening_hours_list(instrument))
    context = {
        "instrument": instrument,
        "policy": policy,
        "policy_form": forms.get("policy_form") or BookingPolicyForm(initial=initial),
        "hours_form": forms.get("hours_form") or OpeningHoursForm(),
        "blackout_form": forms.get("blackout_form") or BlackoutForm(),
        "qualification_form": forms.get("qualification_form") or QualificationGrantForm(),
        "opening_hours": [(row, WEEKDAYS[row.weekday]) for row in hours],
        "blackouts": list(selectors.blackout_list(instrument, upcoming_from=timezone.now())),
        "qualifications": selectors.qualification_list(instrument, policy=policy),
    }
    return render(request, "bookings/rules.html", context, status=status)


@login_required
@domain_error_pages
def instrument_rules(request, instrument_pk: int):
    return _page(request, _managed_instrument(request, instrument_pk))


# Each section: (form class, context name of the form, service call taking (instrument, actor, cleaned data)).
SECTIONS = {
    "policy": (
        BookingPolicyForm,
        "policy_form",
        lambda instrument, actor, data: booking_policy_update(instrument=instrument, actor=actor, values=data),
        _("The booking rules are saved."),
    ),
    "opening-hours": (
        OpeningHoursForm,
        "hours_form",
        lambda instrument, actor, data: opening_hours_add(instrument=instrument, actor=actor, **data),
        _("The opening hours are added."),
    ),
    "blackouts": (
        BlackoutForm,
        "blackout_form",
        lambda instrument, actor, data: blackout_create(instrument=instrument, actor=actor, **data),
        _("The blackout period is added."),
    ),
    "qualifications": (
        QualificationGrantForm,
        "qualification_form",
        lambda instrument, actor, data: qualification_grant_to(
            instrument=instrument, actor=actor, username=data["username"]
        ),
        _("The qualification is granted."),
    ),
}


def _section_page(request, refusal, instrument_pk: int, section: str):
    instrument = _managed_instrument(request, instrument_pk)
    return _page(request, instrument, status=400, **{SECTIONS[section][1]: refusal.form})


@login_required
@domain_error_pages(form_page=_section_page)
def instrument_rules_save(request, instrument_pk: int, section: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if section not in SECTIONS:
        raise Http404(_("No such page."))
    instrument = _managed_instrument(request, instrument_pk)
    form_class, form_name, service, done = SECTIONS[section]
    form = form_class(request.POST)
    if form.is_valid():
        with refusal_shown_on(form, field_map={"user": "username"}):
            service(instrument, request.user, form.cleaned_data)
        messages.success(request, done)
        if section == "blackouts":
            _warn_bookings_in_blackout(request, instrument, form.cleaned_data)
        return redirect("bookings:instrument-rules", instrument_pk=instrument.pk)
    return _page(request, instrument, status=400, **{form_name: form})


def _warn_bookings_in_blackout(request, instrument, data) -> None:
    count = selectors.bookings_in_period(instrument, start=data["start"], end=data["end"])
    if count:
        messages.warning(
            request,
            _("%(count)s booking(s) already fall in this period; they are not cancelled automatically.")
            % {"count": count},
        )


REMOVALS = {
    "opening-hours": (
        lambda instrument, actor, pk: opening_hours_delete(instrument=instrument, actor=actor, opening_hours_id=pk),
        _("The opening hours are removed."),
    ),
    "blackouts": (
        lambda instrument, actor, pk: blackout_delete(instrument=instrument, actor=actor, blackout_id=pk),
        _("The blackout period is removed."),
    ),
    "qualifications": (
        lambda instrument, actor, pk: qualification_revoke(instrument=instrument, actor=actor, qualification_id=pk),
        _("The qualification is revoked."),
    ),
}


def _rules_url(request, instrument_pk: int, *args, **kwargs) -> str:
    return reverse("bookings:instrument-rules", kwargs={"instrument_pk": instrument_pk})


@login_required
@require_POST
@domain_error_pages(redirect_to=_rules_url)
def instrument_rules_remove(request, instrument_pk: int, section: str, item_pk: int):
    if section not in REMOVALS:
        raise Http404(_("No such page."))
    instrument = _managed_instrument(request, instrument_pk)
    service, done = REMOVALS[section]
    service(instrument, request.user, item_pk)
    messages.success(request, done)
    return redirect("bookings:instrument-rules", instrument_pk=instrument.pk)
