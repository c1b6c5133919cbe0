"""Pages: unit admins vouch for their members; platform admins judge possible re-registrations. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from instruments.models import Membership
from instruments.views.units import platform_admin_required
from sharing_platform.http import AuthenticatedHttpRequest
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import persons
from .forms_persons import PersonVouchForm, ReRegistrationDecisionForm
from .selectors import person_vouch_list, reregistration_flag_get, reregistration_flag_list


def _vouch_page(request: HttpRequest, form: PersonVouchForm, status: int = 200) -> HttpResponse:
    vouches = person_vouch_list(unit_ids=Membership.objects.administered_unit_ids(request.user))[:50]
    return render(request, "identity/vouch.html", {"form": form, "vouches": vouches}, status=status)


def _refused_vouch_page(request: HttpRequest, refusal) -> HttpResponse:
    return _vouch_page(request, refusal.form, status=refusal.error.status_code)


@login_required
@domain_error_pages(form_page=_refused_vouch_page)
def vouch_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not Membership.objects.administering(request.user).exists():
        raise PermissionDenied(_("Only unit administrators vouch for their members."))
    form = PersonVouchForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        with refusal_shown_on(form, field_map={"user": "username"}):
            persons.person_vouch(
                actor=request.user,
                user=values["username"],
                unit=values["unit"],
                display_name=values["display_name"],
                staff_number=values["staff_number"],
                national_id=values["national_id"],
            )
        messages.success(request, _("Vouched for %(user)s.") % {"user": values["username"].get_username()})
        return redirect("identity:vouch")
    return _vouch_page(request, form, status=400 if form.errors else 200)


@platform_admin_required
def reregistration_list_page(request: HttpRequest) -> HttpResponse:
    flags = reregistration_flag_list()[:200]
    return render(request, "identity/reregistrations.html", {"flags": flags, "form": ReRegistrationDecisionForm()})


@platform_admin_required
@domain_error_pages(redirect_to=lambda request, pk: reverse("identity:reregistrations"))
@require_POST
def reregistration_decide_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = ReRegistrationDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give a reason."))
        return redirect("identity:reregistrations")
    persons.reregistration_flag_decide(
        flag=reregistration_flag_get(flag_id=pk), admin=request.user, **form.cleaned_data
    )
    messages.success(request, _("Decided."))
    return redirect("identity:reregistrations")
