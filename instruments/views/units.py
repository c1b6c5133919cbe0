"""Unit pages: public list and detail, registration, my units, editing, members, verification queue."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sharing_platform.errors import DomainPermissionError
from sharing_platform.http import AuthenticatedHttpRequest
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from ..forms_units import MemberAddForm, MemberRoleForm, UnitDecisionForm, UnitForm, UnitSuspendForm
from ..models import Membership, Unit
from ..permissions import can_administer_unit, is_platform_admin
from ..selectors.units import (
    UnitFilter,
    membership_get,
    unit_get,
    unit_list,
    unit_membership_list,
    unit_verification_queue,
    user_membership_list,
    user_role_in_unit,
)
from ..services.units import (
    membership_add,
    membership_remove,
    membership_role_change,
    unit_register,
    unit_suspend,
    unit_update,
    unit_verify,
)

UNITS_PER_PAGE = 24


def platform_admin_required(view: Callable) -> Callable:
    """Anonymous visitors go to the login page; signed-in non-admins get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_platform_admin(request.user):
            raise PermissionDenied(_("Only platform administrators may open this page."))
        return view(request, *args, **kwargs)

    return wrapper


def unit_list_page(request: HttpRequest) -> HttpResponse:
    """The public directory of verified units."""
    params = request.GET.copy()
    params.pop("page", None)
    params["status"] = Unit.Status.VERIFIED
    filterset = UnitFilter(params, queryset=Unit.objects.none())
    # A bad filter (an unknown region in a hand-edited link) lists nothing rather than failing.
    units = unit_list(user=request.user, filters=params) if filterset.is_valid() else Unit.objects.none()
    page = Paginator(units, UNITS_PER_PAGE).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("status", None)
    return render(
        request,
        "instruments/units/list.html",
        {"page": page, "filterset": filterset, "kinds": Unit.Kind.choices, "query": query.urlencode()},
    )


@domain_error_pages
def unit_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(user=request.user, unit_id=pk)
    role = user_role_in_unit(user=request.user, unit=unit)
    return render(
        request,
        "instruments/units/detail.html",
        {
            "unit": unit,
            "role": role,
            "can_administer": can_administer_unit(request.user, unit),
            "is_platform_admin": is_platform_admin(request.user),
            "decision_form": UnitDecisionForm(),
            "suspend_form": UnitSuspendForm(),
        },
    )


REGION_REFRESH = "_region_refresh"  # the picker's "Show cities and districts" button (no JavaScript)


def _register_page(request: HttpRequest, refusal) -> HttpResponse:
    return render(request, "instruments/units/register.html", {"form": refusal.form})


@login_required
@domain_error_pages(form_page=_register_page)
def unit_register_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if REGION_REFRESH in request.POST:
        return render(request, "instruments/units/register.html", {"form": UnitForm.refreshed(request.POST)})
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            unit = unit_register(actor=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("%(unit)s is registered and waits for verification by a platform administrator.")
            % {"unit": unit.display_name},
        )
        return redirect("unit-detail", pk=unit.pk)
    return render(request, "instruments/units/register.html", {"form": form})


@login_required
def my_units_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "instruments/units/mine.html", {"memberships": user_membership_list(user=request.user)})


def _editable_unit(request: HttpRequest, pk: int):
    unit = unit_get(user=request.user, unit_id=pk)
    if not can_administer_unit(request.user, unit):
        raise DomainPermissionError(_("Only this unit's administrators may edit it."))
    return unit, unit.is_verified and not is_platform_admin(request.user)


def _edit_render(request: HttpRequest, unit, form, identity_locked: bool) -> HttpResponse:
    context = {"unit": unit, "form": form, "identity_locked": identity_locked}
    return render(request, "instruments/units/edit.html", context)


def _edit_page(request: HttpRequest, refusal, pk: int) -> HttpResponse:
    unit, identity_locked = _editable_unit(request, pk)
    return _edit_render(request, unit, refusal.form, identity_locked)


@login_required
@domain_error_pages(form_page=_edit_page)
def unit_edit_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit, identity_locked = _editable_unit(request, pk)
    if REGION_REFRESH in request.POST:
        form = UnitForm.refreshed(request.POST, identity_locked=identity_locked)
        return _edit_render(request, unit, form, identity_locked)
    form = UnitForm(request.POST or None, initial=UnitForm.initial_from(unit), identity_locked=identity_locked)
    if request.method == "POST" and form.is_valid():
        changed = form.changed_fields()
        changes = {field: value for field, value in form.cleaned_data.items() if field in changed}
        with refusal_shown_on(form):
            unit_update(actor=request.user, unit=unit, changes=changes)
        messages.success(request, _("The unit's details are saved."))
        return redirect("unit-detail", pk=unit.pk)
    return _edit_render(request, unit, form, identity_locked)


def _members_unit(request: HttpRequest, pk: int):
    unit = unit_get(user=request.user, unit_id=pk)
    if user_role_in_unit(user=request.user, unit=unit) is None and not is_platform_admin(request.user):
        raise DomainPermissionError(_("Only members of this unit can see its member list."))
    return unit


def _members_render(request: HttpRequest, unit, form) -> HttpResponse:
    context = {
        "unit": unit,
        "memberships": unit_membership_list(unit=unit),
        "form": form,
        "can_manage": can_administer_unit(request.user, unit),
        "roles": Membership.Role.choices,
    }
    return render(request, "instruments/units/members.html", context)


def _members_page(request: HttpRequest, refusal, pk: int) -> HttpResponse:
    return _members_render(request, _members_unit(request, pk), refusal.form)


@login_required
@domain_error_pages(form_page=_members_page)
def unit_members_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = _members_unit(request, pk)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST":
        if not can_administer_unit(request.user, unit):
            raise DomainPermissionError(_("Only this unit's administrators manage its members."))
        if form.is_valid():
            # A conflict (already a member) names no field: it belongs next to the person.
            with refusal_shown_on(form, field_map={None: "person"}):
                membership = membership_add(
                    actor=request.user, unit=unit, user=form.cleaned_data["person"], role=form.cleaned_data["role"]
                )
            messages.success(
                request,
                _("%(user)s joined the unit as %(role)s.")
                % {"user": membership.user.get_username(), "role": membership.get_role_display().lower()},
            )
            return redirect("unit-members", pk=unit.pk)
    return _members_render(request, unit, form)


def _members_url(request: HttpRequest, pk: int, user_id: int) -> str:
    return reverse("unit-members", args=[pk])


@login_required
@require_POST
@domain_error_pages(redirect_to=_members_url)
def unit_member_update(request: AuthenticatedHttpRequest, pk: int, user_id: int) -> HttpResponse:
    """Change a member's role (`role`) or remove them (`remove`); a member may remove themselves."""
    unit = unit_get(user=request.user, unit_id=pk)
    if user_role_in_unit(user=request.user, unit=unit) is None and not is_platform_admin(request.user):
        raise DomainPermissionError(_("Only members of this unit can change its members."))
    membership = membership_get(unit=unit, user_id=user_id)
    name = membership.user.get_username()
    if "remove" in request.POST:
        membership_remove(actor=request.user, membership=membership)
        messages.success(request, _("%(user)s left the unit.") % {"user": name})
        if membership.user_id == request.user.pk:
            return redirect("my-units")
    else:
        form = MemberRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid role."))
            return redirect("unit-members", pk=unit.pk)
        membership_role_change(actor=request.user, membership=membership, role=form.cleaned_data["role"])
        messages.success(request, _("%(user)s's role is changed.") % {"user": name})
    return redirect("unit-members", pk=unit.pk)


@platform_admin_required
def unit_verification_queue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "instruments/units/verification_queue.html",
        {"units": unit_verification_queue(), "decision_form": UnitDecisionForm()},
    )


def _after_decision(request: HttpRequest, pk: int) -> str:
    """Back to the unit's page or the verification queue, where the decision was made."""
    return (
        reverse("unit-detail", args=[pk])
        if request.POST.get("next") == "detail"
        else reverse("unit-verification-queue")
    )


def _unit_url(request: HttpRequest, pk: int) -> str:
    return reverse("unit-detail", args=[pk])


@platform_admin_required
@require_POST
@domain_error_pages(redirect_to=_after_decision)
def unit_verify_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(user=request.user, unit_id=pk)
    form = UnitDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{unit.display_name}: {error}")
    else:
        unit = unit_verify(actor=request.user, unit=unit, **form.cleaned_data)
        messages.success(
            request,
            _("%(unit)s is now %(status)s.") % {"unit": unit.display_name, "status": unit.get_status_display().lower()},
        )
    return redirect(_after_decision(request, pk))


@platform_admin_required
@require_POST
@domain_error_pages(redirect_to=_unit_url)
def unit_suspend_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(user=request.user, unit_id=pk)
    form = UnitSuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the suspension."))
    else:
        unit_suspend(actor=request.user, unit=unit, reason=form.cleaned_data["reason"])
        messages.success(request, _("%(unit)s is suspended.") % {"unit": unit.display_name})
    return redirect("unit-detail", pk=unit.pk)
