"""Pages for platform admins: the identity providers of member units (list, register, edit, delete)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from instruments.views.units import platform_admin_required
from sharing_platform.http import AuthenticatedHttpRequest
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import services
from .forms import IdentityProviderForm
from .selectors import identity_provider_get, identity_provider_list


@platform_admin_required
def provider_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/providers.html", {"providers": identity_provider_list()})


def _form_page(request: AuthenticatedHttpRequest, provider=None) -> HttpResponse:
    form = IdentityProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form, provider=provider):
            if provider is None:
                saved = services.identity_provider_create(
                    actor=request.user, values=form.values(), secret=form.secret_value()
                )
            else:
                saved = services.identity_provider_update(
                    actor=request.user, provider=provider, changes=form.values(), secret=form.secret_value()
                )
        messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
        return redirect("identity:provider-list")
    return render(request, "identity/provider_form.html", {"form": form, "provider": provider})


def _refused_form_page(request: HttpRequest, refusal, pk: int | None = None) -> HttpResponse:
    context = {"form": refusal.form, "provider": refusal.context.get("provider")}
    return render(request, "identity/provider_form.html", context, status=400)


@platform_admin_required
@domain_error_pages(form_page=_refused_form_page)
def provider_create_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _form_page(request)


@platform_admin_required
@domain_error_pages(form_page=_refused_form_page)
def provider_edit_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, identity_provider_get(provider_id=pk))


@platform_admin_required
@domain_error_pages(redirect_to=lambda request, pk: reverse("identity:provider-list"))
@require_POST
def provider_delete_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    provider = identity_provider_get(provider_id=pk)
    services.identity_provider_delete(actor=request.user, provider=provider)
    messages.success(request, _("Deleted %(name)s.") % {"name": provider.name})
    return redirect("identity:provider-list")
