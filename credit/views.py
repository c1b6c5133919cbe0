"""Credit pages: the public lists, "my credit", and the moderation queue. Thin: selectors and services."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from identity.selectors import person_of_account
from instruments.models import Unit
from sharing_platform.pages import domain_error_pages

from . import params, policy, selectors, services
from .display import (
    TIER_LABELS,
    entry_is_public,
    evidence_summary,
    history_chart,
    history_missing_text,
    how_to_object,
    reasons_rendered,
    rule_label,
)
from .forms import AppealForm, ConfirmForm, DecisionForm, RejectForm, RepairForm
from .models import Appeal, ListEntry, RepairRequest
from .permissions import can_view_credit


def lists(request):
    """The public red and black lists (published entries only)."""
    list_type = request.GET.get("list", ListEntry.List.BLACK)
    if list_type not in ListEntry.List.values:
        list_type = ListEntry.List.BLACK
    page = Paginator(selectors.list_entries_published(list_type=list_type), 25).get_page(request.GET.get("page"))
    rows = [
        {"entry": entry, "rule_label": rule_label(entry.rule), "evidence": evidence_summary(entry)} for entry in page
    ]
    return render(
        request,
        "credit/lists.html",
        {"list_type": list_type, "page": page, "rows": rows, "how_to_object": how_to_object(), "lists": ListEntry.List},
    )


def _subject_for_page(request):
    """The user themselves, or (?unit=<id>) a unit they administer."""
    unit_id = request.GET.get("unit") or request.POST.get("unit")
    if unit_id:
        unit = get_object_or_404(Unit, pk=unit_id)
        if not can_view_credit(request.user, unit):
            return None
        return unit
    return request.user


@login_required
def mine(request):
    """The subject's own credit: score, dimensions, reasons, history chart, entries, objection and repair forms."""
    subject = _subject_for_page(request)
    if subject is None:
        messages.error(request, _("You do not administer that unit."))
        return redirect("credit:mine")
    snapshot = selectors.credit_snapshot_latest(subject)
    history = selectors.credit_score_history(subject)
    now = timezone.now()
    entries = []
    for entry in selectors.list_entries_of_subject(subject):
        repair_from = policy.repair_available_from(entry)
        entries.append(
            {
                "entry": entry,
                "public": entry_is_public(entry, now),
                "rule_label": rule_label(entry.rule),
                "evidence": evidence_summary(entry),
                "can_appeal": entry.status in {ListEntry.Status.PROPOSED, ListEntry.Status.PUBLISHED}
                and not any(a.status == Appeal.Status.OPEN for a in entry.appeals.all()),
                "can_repair": entry.status == ListEntry.Status.PUBLISHED
                and repair_from is not None
                and repair_from <= now
                and not any(r.status == RepairRequest.Status.PENDING for r in entry.repair_requests.all()),
                "repair_from": repair_from,
            }
        )
    administered = Unit.objects.administered_by(request.user)
    standing = (
        selectors.credit_standing_for_unit(subject)
        if isinstance(subject, Unit)
        else selectors.credit_standing_for_user(subject)
    )
    return render(
        request,
        "credit/mine.html",
        {
            "subject": subject,
            "is_unit": isinstance(subject, Unit),
            "snapshot": snapshot,
            "tier_label": TIER_LABELS.get(snapshot.tier, snapshot.tier) if snapshot else "",
            "dimensions": _dimension_rows(snapshot),
            "reasons": reasons_rendered(snapshot.reasons) if snapshot else [],
            "standing": standing,
            "history_missing": ""
            if isinstance(subject, Unit)
            else history_missing_text(standing.history.missing_kept_bookings, standing.history.missing_providers),
            "chart": history_chart(history),
            "history_count": len(history),
            "entries": entries,
            "warnings": selectors.credit_warnings_of_subject(subject),
            "member_warnings": selectors.credit_warnings_open_of_members(subject) if isinstance(subject, Unit) else [],
            "administered_units": administered,
            "appeal_form": AppealForm(),
            "repair_form": RepairForm(),
            "how_to_object": how_to_object(),
            "person": None if isinstance(subject, Unit) else person_of_account(subject),
        },
    )


def _dimension_rows(snapshot) -> list[dict]:
    if snapshot is None:
        return []
    labels = {
        "record": _("Credit record"),
        "fulfilment": _("Fulfilment capability"),
        "external": _("External record"),
        "identity": _("Identity and qualifications"),
        "relationships": _("Relationships"),
    }
    return [
        {
            "name": labels[name],
            "value": value,
            "percent": round(float(value) * 100),
            "weight": int(params.DIMENSION_WEIGHTS[name] * 100),
        }
        for name, value in snapshot.dimensions().items()
    ]


def _redirect_mine(entry: ListEntry):
    if entry.subject_unit_id:
        return redirect(f"{_mine_url()}?unit={entry.subject_unit_id}")
    return redirect("credit:mine")


def _mine_url() -> str:
    return reverse("credit:mine")


def _back_to_mine(request, pk: int):
    return _redirect_mine(get_object_or_404(ListEntry, pk=pk))


@login_required
@require_POST
@domain_error_pages(redirect_to=_back_to_mine)
def appeal_create(request, pk: int):
    entry = get_object_or_404(ListEntry.objects.select_related("subject_user", "subject_unit"), pk=pk)
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the grounds of your objection."))
        return _redirect_mine(entry)
    appeal = services.appeal_submit(entry=entry, user=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Objection received; it will be decided by %(date)s.") % {"date": appeal.due_on})
    return _redirect_mine(entry)


@login_required
@require_POST
@domain_error_pages(redirect_to=_back_to_mine)
def repair_create(request, pk: int):
    entry = get_object_or_404(ListEntry.objects.select_related("subject_user", "subject_unit"), pk=pk)
    form = RepairForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Describe the correction and sign the credit commitment."))
        return _redirect_mine(entry)
    services.repair_request_submit(
        entry=entry,
        user=request.user,
        proof_text=form.cleaned_data["proof_text"],
        proof_file=form.cleaned_data.get("proof_file"),
        commitment_signed=form.cleaned_data["commitment_signed"],
    )
    messages.success(request, _("Repair request received."))
    return _redirect_mine(entry)


@staff_member_required
def moderation(request):
    """The platform admin's queue: proposed entries, open objections, pending repair requests."""
    proposed = [
        {"entry": entry, "rule_label": rule_label(entry.rule), "evidence": evidence_summary(entry)}
        for entry in selectors.list_entries_for_moderation(status=ListEntry.Status.PROPOSED)[:100]
    ]
    return render(
        request,
        "credit/moderation.html",
        {
            "proposed": proposed,
            "appeals": selectors.appeals_open()[:100],
            "repairs": selectors.repair_requests_pending()[:100],
            "confirm_form": ConfirmForm(),
            "reject_form": RejectForm(),
            "decision_form": DecisionForm(),
        },
    )


def _aware_end_of(value):
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(datetime.combine(value.date(), datetime.max.time().replace(microsecond=0)))


def _moderation_url(request, pk: int) -> str:
    return reverse("moderation")


@staff_member_required
@require_POST
@domain_error_pages(redirect_to=_moderation_url)
def entry_confirm(request, pk: int):
    entry = get_object_or_404(ListEntry, pk=pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        services.list_entry_confirm(
            entry=entry,
            moderator=request.user,
            reason=form.cleaned_data["reason"],
            expires_at=_aware_end_of(form.cleaned_data.get("expires_at")),
            severity=form.cleaned_data.get("severity") or None,
        )
        messages.success(request, _("Entry published."))
    else:
        messages.error(request, _("A reason is required."))
    return redirect("moderation")


@staff_member_required
@require_POST
@domain_error_pages(redirect_to=_moderation_url)
def entry_reject(request, pk: int):
    entry = get_object_or_404(ListEntry, pk=pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        services.list_entry_reject(entry=entry, moderator=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Proposal rejected."))
    else:
        messages.error(request, _("A reason is required."))
    return redirect("moderation")


@staff_member_required
@require_POST
@domain_error_pages(redirect_to=_moderation_url)
def appeal_decide(request, pk: int):
    appeal = get_object_or_404(Appeal, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        services.appeal_decide(
            appeal=appeal,
            admin=request.user,
            upheld=form.cleaned_data["decision"] == "yes",
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Objection decided."))
    else:
        messages.error(request, _("A decision and a reason are required."))
    return redirect("moderation")


@staff_member_required
@require_POST
@domain_error_pages(redirect_to=_moderation_url)
def repair_decide(request, pk: int):
    repair = get_object_or_404(RepairRequest, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        services.repair_request_decide(
            repair=repair,
            admin=request.user,
            granted=form.cleaned_data["decision"] == "yes",
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Repair request decided."))
    else:
        messages.error(request, _("A decision and a reason are required."))
    return redirect("moderation")
