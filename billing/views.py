"""Billing pages: thin views over selectors and services; they work without JavaScript.

Provider side (a unit's admins and instrument managers): unbilled charges by paying unit, issue a
statement, statements issued, declared payments to confirm, record a payment, terms. Payer side (a
unit's admins): what the unit owes by project code, statements received, declare a payment.
A refusal is shown next to the field it names (400); a success redirects with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from instruments.models import Instrument, Unit
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import selectors, services
from .exports import EXPORT_FORMATS
from .forms import AdjustmentForm, InstrumentBillingForm, IssueForm, PaymentForm, ProviderTermsForm, ReasonForm
from .models import Payment, StatementStatus
from .permissions import (
    PAYER_ROLES,
    PROVIDER_ROLES,
    can_bill_for,
    can_pay_for,
    can_set_instrument_billing,
    can_set_provider_terms,
)


@login_required
def billing_home(request):
    """The units this person bills for and those whose bills they settle."""
    providing = list(selectors.billing_units_of(request.user, roles=PROVIDER_ROLES)[:200])
    paying = list(selectors.billing_units_of(request.user, roles=PAYER_ROLES)[:200])
    if len(providing) == 1 and not paying:
        return redirect("billing:provider", unit_pk=providing[0].pk)
    if len(paying) == 1 and not providing:
        return redirect("billing:owed", unit_pk=paying[0].pk)
    mine = list(selectors.charge_list_for(user=request.user).filter(booking__requester=request.user)[:50])
    return render(request, "billing/home.html", {"providing": providing, "paying": paying, "mine": mine})


# --- Provider side ----------------------------------------------------------------------------


def _billing_unit(request, unit_pk: int) -> Unit:
    unit = get_object_or_404(Unit, pk=unit_pk)
    if not can_bill_for(request.user, unit):
        raise Http404(_("No such unit among those you bill for."))
    return unit


def _provider_page(request, unit: Unit, *, issue_form=None, status: int = 200):
    today = timezone.localdate()
    payers = selectors.unbilled_by_payer(provider_unit=unit, before=selectors.end_of_day(today))
    statements = list(selectors.statement_list_for(user=request.user, filters={"provider_unit": unit.pk})[:100])
    charges = list(selectors.charge_list_for(user=request.user, filters={"provider_unit": unit.pk})[:50])
    declared = [
        payment
        for payment in selectors.payments_awaiting_confirmation(user=request.user)
        if payment.statement.provider_unit_id == unit.pk
    ]
    context = {
        "unit": unit,
        "payers": payers,
        "issue_form": issue_form or IssueForm(payers=payers, initial={"period_end": today}),
        "statements": statements,
        "charges": charges,
        "declared": declared,
        "instruments": list(Instrument.objects.filter(unit=unit).order_by("name", "id")[:100]),
        "terms": selectors.provider_billing_get(unit),
        "may_set_terms": can_set_provider_terms(request.user, unit),
    }
    return render(request, "billing/provider.html", context, status=status)


@login_required
def provider_desk(request, unit_pk: int):
    return _provider_page(request, _billing_unit(request, unit_pk))


def _issue_form_page(request, refusal, unit_pk: int):
    return _provider_page(request, _billing_unit(request, unit_pk), issue_form=refusal.form, status=400)


@login_required
@require_POST
@domain_error_pages(form_page=_issue_form_page)
def statement_issue(request, unit_pk: int):
    unit = _billing_unit(request, unit_pk)
    payers = selectors.unbilled_by_payer(provider_unit=unit, before=selectors.end_of_day(timezone.localdate()))
    form = IssueForm(request.POST, payers=payers)
    if not form.is_valid():
        return _provider_page(request, unit, issue_form=form, status=400)
    with refusal_shown_on(form):
        statement = services.statement_issue(provider_unit=unit, actor=request.user, **form.cleaned_data)
    messages.success(
        request,
        _("Statement %(reference)s issued: %(total)s CNY, due %(due)s.")
        % {"reference": statement.reference, "total": statement.total, "due": statement.due_date},
    )
    return redirect("billing:statement", pk=statement.pk)


def _terms_form_page(request, refusal, unit_pk: int):
    unit = _billing_unit(request, unit_pk)
    return render(request, "billing/terms.html", {"unit": unit, "form": refusal.form}, status=400)


@login_required
@domain_error_pages(form_page=_terms_form_page)
def provider_terms(request, unit_pk: int):
    unit = _billing_unit(request, unit_pk)
    if not can_set_provider_terms(request.user, unit):
        raise PermissionDenied(_("Only the unit's administrators can change its billing terms."))
    terms = selectors.provider_billing_get(unit)
    status = 200
    if request.method == "POST":
        form = ProviderTermsForm(request.POST, instance=terms)
        if form.is_valid():
            with refusal_shown_on(form):
                services.provider_billing_update(
                    unit=unit,
                    actor=request.user,
                    due_days=form.cleaned_data["due_days"],
                    monthly_statements=form.cleaned_data["monthly_statements"],
                )
            messages.success(request, _("Billing terms saved."))
            return redirect("billing:provider", unit_pk=unit.pk)
        status = 400
    else:
        form = ProviderTermsForm(instance=terms)
    return render(request, "billing/terms.html", {"unit": unit, "form": form}, status=status)


def _instrument_billing_form_page(request, refusal, instrument_pk: int):
    instrument = get_object_or_404(Instrument.objects.select_related("unit"), pk=instrument_pk)
    return render(request, "billing/instrument.html", {"instrument": instrument, "form": refusal.form}, status=400)


@login_required
@domain_error_pages(form_page=_instrument_billing_form_page)
def instrument_billing(request, instrument_pk: int):
    instrument = get_object_or_404(Instrument.objects.select_related("unit"), pk=instrument_pk)
    if not can_set_instrument_billing(request.user, instrument):
        raise PermissionDenied(_("Only the instrument's managers can change how it bills."))
    billing = selectors.instrument_billing_get(instrument)
    status = 200
    if request.method == "POST":
        form = InstrumentBillingForm(request.POST, instance=billing)
        if form.is_valid():
            with refusal_shown_on(form):
                services.instrument_billing_update(instrument=instrument, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Billing rules saved."))
            return redirect("billing:instrument", instrument_pk=instrument.pk)
        status = 400
    else:
        form = InstrumentBillingForm(instance=billing)
    return render(request, "billing/instrument.html", {"instrument": instrument, "form": form}, status=status)


# --- Payer side -------------------------------------------------------------------------------


@login_required
def payer_owed(request, unit_pk: int):
    unit = get_object_or_404(Unit, pk=unit_pk)
    if not can_pay_for(request.user, unit):
        raise Http404(_("No such unit among those whose bills you settle."))
    statements = list(selectors.statement_list_for(user=request.user, filters={"payer_unit": unit.pk})[:100])
    context = {
        "unit": unit,
        "by_project": selectors.owed_by_project(payer_unit=unit),
        "outstanding": selectors.outstanding_total(payer_unit=unit),
        "statements": statements,
    }
    return render(request, "billing/owed.html", context)


# --- One statement ----------------------------------------------------------------------------


def _statement_or_404(request, pk: int):
    statement = selectors.statement_get_for(user=request.user, pk=pk)
    if statement is None:
        raise Http404(_("No such statement."))
    return statement


def _statement_page(request, statement, *, status: int = 200, **forms):
    provider = can_bill_for(request.user, statement.provider_unit_id)
    payer = can_pay_for(request.user, statement.payer_unit_id)
    open_ = statement.status in (StatementStatus.ISSUED, StatementStatus.PARTLY_PAID, StatementStatus.OVERDUE)
    payments = selectors.statement_payments(statement)
    initial = {"amount": statement.balance, "paid_on": timezone.localdate()}
    context = {
        "statement": statement,
        "groups": selectors.group_by_project(selectors.statement_charges(statement)),
        "payments": payments,
        "is_provider": provider,
        "is_payer": payer,
        "record_form": forms.get("record_form") or (PaymentForm(initial=initial) if provider and open_ else None),
        "declare_form": forms.get("declare_form") or (PaymentForm(initial=initial) if payer and open_ else None),
        "cancel_form": forms.get("cancel_form")
        or (ReasonForm() if provider and open_ and statement.amount_paid == 0 else None),
        "reject_form": ReasonForm(),
        "declared_open": provider and any(p.status == Payment.Status.DECLARED for p in payments),
        "formats": EXPORT_FORMATS,
    }
    return render(request, "billing/statement.html", context, status=status)


@login_required
def statement_detail(request, pk: int):
    return _statement_page(request, _statement_or_404(request, pk))


def _statement_form_page(form_name: str):
    """The statement page again, with the refused form (`form_name`) showing why."""

    def page(request, refusal, pk: int):
        return _statement_page(request, _statement_or_404(request, pk), status=400, **{form_name: refusal.form})

    return page


def _payment_post(request, pk: int, *, service, form_name: str, done: str):
    statement = _statement_or_404(request, pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _statement_page(request, statement, status=400, **{form_name: form})
    with refusal_shown_on(form):
        service(statement_id=statement.pk, actor=request.user, **form.cleaned_data)
    messages.success(request, done)
    return redirect("billing:statement", pk=statement.pk)


@login_required
@require_POST
@domain_error_pages(form_page=_statement_form_page("record_form"))
def payment_record(request, pk: int):
    return _payment_post(
        request, pk, service=services.payment_record, form_name="record_form", done=_("Payment recorded.")
    )


@login_required
@require_POST
@domain_error_pages(form_page=_statement_form_page("declare_form"))
def payment_declare(request, pk: int):
    return _payment_post(
        request,
        pk,
        service=services.payment_declare,
        form_name="declare_form",
        done=_("Thank you: the provider has been told and will confirm the payment."),
    )


@login_required
@require_POST
@domain_error_pages(form_page=_statement_form_page("cancel_form"))
def statement_cancel(request, pk: int):
    statement = _statement_or_404(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _statement_page(request, statement, status=400, cancel_form=form)
    with refusal_shown_on(form):
        services.statement_cancel(statement_id=statement.pk, actor=request.user, **form.cleaned_data)
    messages.success(request, _("Statement cancelled; its charges are unbilled again."))
    return redirect("billing:statement", pk=statement.pk)


def _declared_payment(request, pk: int) -> Payment:
    payment = Payment.objects.select_related("statement").filter(pk=pk).first()
    if payment is None or selectors.statement_get_for(user=request.user, pk=payment.statement_id) is None:
        raise Http404(_("No such payment."))
    return payment


def _payment_statement_url(request, pk: int) -> str:
    return reverse("billing:statement", args=[_declared_payment(request, pk).statement_id])


@login_required
@require_POST
@domain_error_pages(redirect_to=_payment_statement_url)
def payment_confirm(request, pk: int):
    payment = _declared_payment(request, pk)
    services.payment_confirm(payment_id=payment.pk, actor=request.user)
    messages.success(request, _("Payment confirmed."))
    return redirect("billing:statement", pk=payment.statement_id)


@login_required
@require_POST
@domain_error_pages(redirect_to=_payment_statement_url)
def payment_reject(request, pk: int):
    payment = _declared_payment(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the declared payment is not accepted."))
        return redirect("billing:statement", pk=payment.statement_id)
    services.payment_reject(payment_id=payment.pk, actor=request.user, **form.cleaned_data)
    messages.success(request, _("The declared payment was turned down; the payer sees your reason."))
    return redirect("billing:statement", pk=payment.statement_id)


# --- One charge -------------------------------------------------------------------------------


def _charge_or_404(request, pk: int):
    charge = selectors.charge_get_for(user=request.user, pk=pk)
    if charge is None:
        raise Http404(_("No such charge."))
    return charge


def _charge_page(request, charge, form, *, status: int = 200):
    adjustments = list(
        selectors.charge_list_for(user=request.user).filter(adjusts=charge).order_by("incurred_at", "id")
    )
    context = {"charge": charge, "adjustments": adjustments, "form": form}
    return render(request, "billing/charge.html", context, status=status)


def _charge_form_page(request, refusal, pk: int):
    return _charge_page(request, _charge_or_404(request, pk), refusal.form, status=400)


@login_required
@domain_error_pages(form_page=_charge_form_page)
def charge_detail(request, pk: int):
    charge = _charge_or_404(request, pk)
    may_adjust = charge.kind != "adjustment" and can_bill_for(request.user, charge.provider_unit_id)
    status = 200
    form = AdjustmentForm() if may_adjust else None
    if request.method == "POST":
        if not may_adjust:
            raise PermissionDenied(_("Only the provider unit can correct its charges."))
        form = AdjustmentForm(request.POST)
        if form.is_valid():
            with refusal_shown_on(form):
                services.charge_adjust(charge_id=charge.pk, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Adjustment recorded; it goes on the next statement."))
            return redirect("billing:charge", pk=charge.pk)
        status = 400
    return _charge_page(request, charge, form, status=status)
