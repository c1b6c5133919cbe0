"""Unit pages: public list and detail, registration, my units, editing, members, verification queue."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sharing_platform.errors import (
    DomainConflictError,
    DomainError,
    DomainNotFoundError,
    DomainPermissionError,
    DomainValidationError,
)

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


def domain_errors_as_http(view: Callable) -> Callable:
    """Not found and not allowed from selectors and services become 404 and 403 pages."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainNotFoundError as error:
            raise Http404(error.message) from None
        except DomainPermissionError as error:
            raise PermissionDenied(error.message) from None

    return wrapper


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


def _form_add_domain_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def unit_list_page(request: HttpRequest) -> HttpResponse:
    """The public directory of verified units."""
    params = request.GET.copy()
    params.pop("page", None)
    params["status"] = Unit.Status.VERIFIED
    filterset = UnitFilter(params, queryset=Unit.objects.none())
    try:
        units = unit_list(user=request.user, filters=params)
    except DomainValidationError:
        units = Unit.objects.none()
    page = Paginator(units, UNITS_PER_PAGE).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("status", None)
    return render(
        request,
        "instruments/units/list.html",
        {"page": page, "filterset": filterset, "kinds": Unit.Kind.choices, "query": query.urlencode()},
    )


@domain_errors_as_http
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


@login_required
def unit_register_page(request: HttpRequest) -> HttpResponse:
    if REGION_REFRESH in request.POST:
        return render(request, "instruments/units/register.html", {"form": UnitForm.refreshed(request.POST)})
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = unit_register(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _form_add_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(unit)s is registered and waits for verification by a platform administrator.")
                % {"unit": unit.display_name},
            )
            return redirect("unit-detail", pk=unit.pk)
    return render(request, "instruments/units/register.html", {"form": form})


@login_required
def my_units_page(request: HttpRequest) -> HttpResponse:
    return render(request, "instruments/units/mine.html", {"memberships": user_membership_list(user=request.user)})


@login_required
@domain_errors_as_http
def unit_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(user=request.user, unit_id=pk)
    if not can_administer_unit(request.user, unit):
        raise PermissionDenied(_("Only this unit's administrators may edit it."))
    identity_locked = unit.is_verified and not is_platform_admin(request.user)
    if REGION_REFRESH in request.POST:
        form = UnitForm.refreshed(request.POST, identity_locked=identity_locked)
        context = {"unit": unit, "form": form, "identity_locked": identity_locked}
        return render(request, "instruments/units/edit.html", context)
    form = UnitForm(request.POST or None, initial=UnitForm.initial_from(unit), identity_locked=identity_locked)
    if request.method == "POST" and form.is_valid():
        changed = form.changed_fields()
        changes = {field: value for field, value in form.cleaned_data.items() if field in changed}
        try:
            unit_update(actor=request.user, unit=unit, changes=changes)
        except DomainValidationError as error:
            _form_add_domain_error(form, error)
        else:
            messages.success(request, _("The unit's details are saved."))
            return redirect("unit-detail", pk=unit.pk)
    return render(
        request, "instruments/units/edit.html", {"unit": unit, "form": form, "identity_locked": identity_locked}
    )


@login_required
@domain_errors_as_http
def unit_members_page(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(user=request.user, unit_id=pk)
    role = user_role_in_unit(user=request.user, unit=unit)
    if role is None and not is_platform_admin(request.user):
        raise PermissionDenied(_("Only members of this unit can see its member list."))
    can_manage = can_administer_unit(request.user, unit)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Only this unit's administrators manage its members."))
        if form.is_valid():
            try:
                membership = membership_add(
                    actor=request.user, unit=unit, user=form.cleaned_data["person"], role=form.cleaned_data["role"]
                )
            except DomainValidationError as error:
                _form_add_domain_error(form, error)
            except DomainError as error:  # conflicts: already a member
                form.add_error("person", error.message)
            else:
                messages.success(
                    request,
                    _("%(user)s joined the unit as %(role)s.")
                    % {"user": membership.user.get_username(), "role": membership.get_role_display().lower()},
                )
                return redirect("unit-members", pk=unit.pk)
    return render(
        request,
        "instruments/units/members.html",
        {
            "unit": unit,
            "memberships": unit_membership_list(unit=unit),
            "form": form,
            "can_manage": can_manage,
            "roles": Membership.Role.choices,
        },
    )


@login_required
@require_POST
@domain_errors_as_http
def unit_member_update(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """Change a member's role (`role`) or remove them (`remove`); a member may remove themselves."""
    unit = unit_get(user=request.user, unit_id=pk)
    if user_role_in_unit(user=request.user, unit=unit) is None and not is_platform_admin(request.user):
        raise PermissionDenied(_("Only members of this unit can change its members."))
    membership = membership_get(unit=unit, user_id=user_id)
    name = membership.user.get_username()
    try:
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
    except (DomainConflictError, DomainValidationError) as error:
        messages.error(request, error.message)
    return redirect("unit-members", pk=unit.pk)


@platform_admin_required
def unit_verification_queue_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "instruments/units/verification_queue.html",
        {"units": unit_verification_queue(), "decision_form": UnitDecisionForm()},
    )


@platform_admin_required
@require_POST
@domain_errors_as_http
def unit_verify_page(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(user=request.user, unit_id=pk)
    form = UnitDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{unit.display_name}: {error}")
    else:
        try:
            unit = unit_verify(actor=request.user, unit=unit, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, f"{unit.display_name}: {error.message}")
        else:
            messages.success(
                request,
                _("%(unit)s is now %(status)s.")
                % {"unit": unit.display_name, "status": unit.get_status_display().lower()},
            )
    next_url = request.POST.get("next")
    if next_url == "detail":
        return redirect("unit-detail", pk=unit.pk)
    return redirect("unit-verification-queue")


@platform_admin_required
@require_POST
@domain_errors_as_http
def unit_suspend_page(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_get(user=request.user, unit_id=pk)
    form = UnitSuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the suspension."))
    else:
        try:
            unit_suspend(actor=request.user, unit=unit, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(unit)s is suspended.") % {"unit": unit.display_name})
    return redirect("unit-detail", pk=unit.pk)
