"""Booking pages for what began API-only: moving a booking, reviews, incidents (report, confirm,
contest) and the platform admins' disputes page. Thin: forms shape input, services decide, and a
refusal is shown next to the field it names."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sharing_platform.errors import DomainPermissionError
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import selectors, services
from .contest_policy import contestable_until
from .forms import (
    ContestForm,
    DisputeDecisionForm,
    FactContestForm,
    HoursCorrectionForm,
    IncidentForm,
    MoveForm,
    ReviewForm,
)
from .models import Incident
from .permissions import (
    allowed_actions,
    can_confirm_incident,
    can_contest_fact,
    can_contest_incident,
    can_correct_hours,
    can_decide_booking,
    can_decide_dispute,
    can_report_incident,
    can_review_booking,
    can_view_incident,
)


def _booking_or_404(request, pk: int):
    booking = selectors.booking_get_for(user=request.user, pk=pk)
    if booking is None:
        raise Http404(_("No such booking."))
    return booking


def detail_context(
    request, booking, *, review_form=None, incident_form=None, contest_forms=None, fact_forms=None, hours_form=None
) -> dict:
    """Everything the booking detail page shows, with the forms this user may use now."""
    user = request.user
    now, fact_forms = timezone.now(), fact_forms or {}
    actions = selectors.booking_actions_offered(user, booking)
    incidents = list(booking.incidents.prefetch_related("attachments").order_by("created_at", "id"))
    contest_forms = contest_forms or {}
    reviewed_sides = list(booking.reviews.values_list("side", flat=True))
    may_review = can_review_booking(user, booking, reviewed_sides=reviewed_sides)
    may_report = can_report_incident(user, booking)
    correct_until = contestable_until(booking.checked_out_at) if booking.checked_out_at else None
    may_correct = correct_until is not None and can_correct_hours(user, booking, until=correct_until)
    return {
        "booking": booking,
        "history": list(selectors.booking_history(booking=booking)),
        "actions": actions,
        "can_move": any(action["name"] == "move" for action in actions),
        "reviews": selectors.reviews_visible(booking=booking, user=user),
        "incidents": incidents,
        "incident_rows": [
            {
                "incident": incident,
                "can_confirm": can_confirm_incident(user, incident),
                "can_contest": can_contest_incident(user, incident),
                "contest_form": contest_forms.get(incident.pk) or ContestForm(prefix=f"contest-{incident.pk}"),
            }
            for incident in incidents
        ],
        # One-sided facts about the requester (a no-show, an overrun): pending until contested or recorded.
        "fact_rows": [
            {
                "fact": fact,
                "can_contest": can_contest_fact(user, fact, now=now),
                "contest_form": fact_forms.get(fact.pk) or FactContestForm(prefix=f"fact-{fact.pk}"),
            }
            for fact in selectors.contestable_facts_of(booking=booking)
        ],
        "requester_tier": selectors.requester_tiers_visible(user=user, bookings=[booking]).get(booking.pk),
        # Said next to the refuse button: will this refusal count as justified, and why.
        "refusal_outlook": (
            selectors.refusal_outlook(booking)[1] if any(action["name"] == "refuse" for action in actions) else ""
        ),
        "review_form": (review_form or ReviewForm()) if may_review else None,
        "incident_form": (incident_form or IncidentForm()) if may_report else None,
        # The provider may correct the hours used while the requester could still contest what that makes.
        "hours_form": (hours_form or HoursCorrectionForm()) if may_correct else None,
        "hours_correctable_until": correct_until if may_correct else None,
    }


def _move_render(request, booking, form, *, status: int):
    summary = selectors.rules_summary(booking.instrument, user=request.user)
    return render(request, "bookings/rules_move.html", {"booking": booking, "form": form, "rules_summary": summary},
                  status=status)  # fmt: skip


def _move_page(request, refusal, pk: int):
    return _move_render(request, _booking_or_404(request, pk), refusal.form, status=400)


@login_required
@domain_error_pages(form_page=_move_page)
def booking_move(request, pk: int):
    """GET: a form with the current times; POST: move (the old booking is cancelled and linked)."""
    booking = _booking_or_404(request, pk)
    if "move" not in allowed_actions(request.user, booking):
        raise DomainPermissionError(_("This booking cannot be moved by you now."))
    if request.method == "POST":
        form = MoveForm(request.POST)
        if form.is_valid():
            with refusal_shown_on(form):
                new = services.booking_move(booking_id=booking.pk, actor=request.user, **form.cleaned_data)
            messages.success(
                request,
                _("Moved: booking #%(old)s is now #%(new)s (%(state)s).")
                % {"old": booking.pk, "new": new.pk, "state": new.get_state_display().lower()},
            )
            return redirect("bookings:detail", pk=new.pk)
        return _move_render(request, booking, form, status=400)
    form = MoveForm(initial={"start": timezone.localtime(booking.start), "end": timezone.localtime(booking.end)})
    return _move_render(request, booking, form, status=200)


def _detail_with_errors(request, booking, **forms):
    return render(request, "bookings/detail.html", detail_context(request, booking, **forms), status=400)


def _refused_or_back(request, refusal, booking, may_show_form: bool, **forms):
    """The detail page with the refused form, or (the form is gone, e.g. already reviewed) the message."""
    if may_show_form:
        return _detail_with_errors(request, booking, **forms)
    messages.error(request, refusal.error.message)
    return redirect("bookings:detail", pk=booking.pk)


def _review_page(request, refusal, pk: int):
    booking = _booking_or_404(request, pk)
    reviewed_sides = booking.reviews.values_list("side", flat=True)
    may_review = can_review_booking(request.user, booking, reviewed_sides=reviewed_sides)
    return _refused_or_back(request, refusal, booking, may_review, review_form=refusal.form)


def _incident_page(request, refusal, pk: int):
    booking = _booking_or_404(request, pk)
    may_report = can_report_incident(request.user, booking)
    return _refused_or_back(request, refusal, booking, may_report, incident_form=refusal.form)


@login_required
@require_POST
@domain_error_pages(form_page=_review_page)
def booking_review(request, pk: int):
    booking = _booking_or_404(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        with refusal_shown_on(form):
            services.review_create(booking_id=booking.pk, author=request.user, **form.cleaned_data)
        messages.success(request, _("Thank you: your review is recorded."))
        return redirect("bookings:detail", pk=booking.pk)
    if can_review_booking(request.user, booking, reviewed_sides=booking.reviews.values_list("side", flat=True)):
        return _detail_with_errors(request, booking, review_form=form)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("bookings:detail", pk=booking.pk)


@login_required
@require_POST
@domain_error_pages(form_page=_incident_page)
def booking_incident_report(request, pk: int):
    booking = _booking_or_404(request, pk)
    form = IncidentForm(request.POST, request.FILES)
    if form.is_valid():
        values = dict(form.cleaned_data)
        attachment = values.pop("attachment", None)
        values["estimated_loss"] = values.get("estimated_loss") or 0
        with refusal_shown_on(form):
            incident = services.incident_report(
                booking_id=booking.pk, reporter=request.user, files=[attachment] if attachment else [], **values
            )
        if incident.kind == Incident.Kind.FRAUD:
            messages.success(request, _("The fraud report is filed; a platform administrator will decide it."))
        else:
            messages.success(request, _("The incident is reported; the other side can confirm or contest it."))
        return redirect("bookings:detail", pk=booking.pk)
    if can_report_incident(request.user, booking):
        return _detail_with_errors(request, booking, incident_form=form)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("bookings:detail", pk=booking.pk)


def _incident_or_404(request, pk: int):
    incident = selectors.incident_get(pk)
    if incident is None or not can_view_incident(request.user, incident):
        raise Http404(_("No such incident."))
    return incident


def _incident_booking_url(request, pk: int) -> str:
    return reverse("bookings:detail", args=[_incident_or_404(request, pk).booking_id])


@login_required
@require_POST
@domain_error_pages(redirect_to=_incident_booking_url)
def incident_confirm(request, pk: int):
    incident = _incident_or_404(request, pk)
    services.incident_confirm(incident_id=incident.pk, actor=request.user)
    messages.success(request, _("You confirmed the report."))
    return redirect("bookings:detail", pk=incident.booking_id)


def _contest_page(request, refusal, pk: int):
    incident = _incident_or_404(request, pk)
    if not can_contest_incident(request.user, incident):
        raise PermissionDenied(refusal.error.message)
    booking = _booking_or_404(request, incident.booking_id)
    return _detail_with_errors(request, booking, contest_forms={incident.pk: refusal.form})


@login_required
@require_POST
@domain_error_pages(form_page=_contest_page)
def incident_contest(request, pk: int):
    incident = _incident_or_404(request, pk)
    form = ContestForm(request.POST, prefix=f"contest-{incident.pk}")
    if form.is_valid():
        with refusal_shown_on(form):
            services.incident_contest(incident_id=incident.pk, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("You contested the report; a platform administrator will decide."))
        return redirect("bookings:detail", pk=incident.booking_id)
    if not can_contest_incident(request.user, incident):
        raise DomainPermissionError(_("Only the other side of the booking can contest this report."))
    booking = _booking_or_404(request, incident.booking_id)
    return _detail_with_errors(request, booking, contest_forms={incident.pk: form})


def _fact_or_404(request, pk: int):
    fact = selectors.contestable_fact_get(pk)
    if fact is None or selectors.booking_get_for(user=request.user, pk=fact.booking_id) is None:
        raise Http404(_("No such fact."))
    return fact


def _fact_contest_page(request, refusal, pk: int):
    fact = _fact_or_404(request, pk)
    if not can_contest_fact(request.user, fact, now=timezone.now()):
        messages.error(request, refusal.error.message)
        return redirect("bookings:detail", pk=fact.booking_id)
    booking = _booking_or_404(request, fact.booking_id)
    return _detail_with_errors(request, booking, fact_forms={fact.pk: refusal.form})


@login_required
@require_POST
@domain_error_pages(form_page=_fact_contest_page)
def fact_contest(request, pk: int):
    """The requester contests a no-show or an overrun recorded about them: a platform admin decides."""
    fact = _fact_or_404(request, pk)
    form = FactContestForm(request.POST, prefix=f"fact-{fact.pk}")
    if form.is_valid():
        with refusal_shown_on(form):
            services.fact_contest(fact_id=fact.pk, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("You contested it; it counts for nothing until a platform administrator decides."))
        return redirect("bookings:detail", pk=fact.booking_id)
    booking = _booking_or_404(request, fact.booking_id)
    return _detail_with_errors(request, booking, fact_forms={fact.pk: form})


def _hours_correct_page(request, refusal, pk: int):
    booking = _booking_or_404(request, pk)
    if refusal.error.status_code == 409:  # the window closed meanwhile, or the overrun is contested: say so
        messages.error(request, refusal.error.message)
        return redirect("bookings:detail", pk=booking.pk)
    return _detail_with_errors(request, booking, hours_form=refusal.form)


@login_required
@require_POST
@domain_error_pages(form_page=_hours_correct_page)
def booking_hours_correct(request, pk: int):
    """The provider corrects the hours used of a completed booking; the requester sees the reason."""
    booking = _booking_or_404(request, pk)
    form = HoursCorrectionForm(request.POST)
    if form.is_valid():
        with refusal_shown_on(form):
            services.booking_hours_correct(
                booking_id=booking.pk,
                actor=request.user,
                actual_hours=form.cleaned_data["actual_hours"],
                reason=form.cleaned_data["reason"],
            )
        messages.success(request, _("The hours used are corrected; the requester is told."))
        return redirect("bookings:detail", pk=booking.pk)
    if not can_decide_booking(request.user, booking):
        raise DomainPermissionError(_("Only the instrument's managers can correct the hours used."))
    return _detail_with_errors(request, booking, hours_form=form)


# --- Disputes (platform admins) ---------------------------------------------------------------


def _disputes_page(request, *, forms=None, status: int = 200):
    forms = forms or {}
    rows = [
        (dispute, forms.get(dispute.pk) or DisputeDecisionForm(prefix=f"dispute-{dispute.pk}"))
        for dispute in selectors.dispute_list_open_for_page()[:200]
    ]
    return render(request, "bookings/rules_disputes.html", {"rows": rows}, status=status)


def _require_dispute_decider(user) -> None:
    if not can_decide_dispute(user):
        raise DomainPermissionError(_("Only platform administrators decide disputes."))


@login_required
@domain_error_pages
def dispute_list(request):
    _require_dispute_decider(request.user)
    return _disputes_page(request)


def _dispute_page(request, refusal, pk: int):
    return _disputes_page(request, forms={pk: refusal.form}, status=400)


def _disputes_url(request, pk: int) -> str:
    return reverse("bookings:disputes")


@login_required
@require_POST
@domain_error_pages(form_page=_dispute_page, redirect_to=_disputes_url)
def dispute_decide(request, pk: int):
    _require_dispute_decider(request.user)
    if selectors.dispute_get(pk) is None:
        raise Http404(_("No such dispute."))
    form = DisputeDecisionForm(request.POST, prefix=f"dispute-{pk}")
    if form.is_valid():
        with refusal_shown_on(form, conflicts=False):  # already decided: say so on the list
            services.dispute_decide(dispute_id=pk, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Dispute #%(id)s is decided.") % {"id": pk})
        return redirect("bookings:disputes")
    return _disputes_page(request, forms={pk: form}, status=400)
