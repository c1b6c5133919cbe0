"""The group robots page: a person's own robots and those of the units they administer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sharing_platform.http import AuthenticatedHttpRequest
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from . import services
from .forms import RobotWebhookForm
from .selectors import robot_webhook_get, robot_webhook_list, units_administered


def _robots_refused_page(request: AuthenticatedHttpRequest, refusal) -> HttpResponse:
    context = {"form": refusal.form, "robots": robot_webhook_list(user=request.user)}
    return render(request, "notifications/robots.html", context, status=400)


@login_required
@domain_error_pages(form_page=_robots_refused_page)
def robots_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    units = list(units_administered(request.user))
    form = RobotWebhookForm(request.POST or None, user=request.user, units=units)
    if request.method == "POST" and form.is_valid():
        owner = form.cleaned_data["owner"]
        unit = next((u for u in units if owner == f"unit:{u.pk}"), None)
        with refusal_shown_on(form):
            services.robot_webhook_create(
                actor=request.user,
                unit=unit,
                user=None if unit else request.user,
                service=form.cleaned_data["service"],
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                secret=form.cleaned_data["secret"],
                events=form.cleaned_data["events"],
                language=form.cleaned_data["language"],
            )
        messages.success(request, _("The robot was added."))
        return redirect("notifications:robots")
    context = {"form": form, "robots": robot_webhook_list(user=request.user)}
    return render(request, "notifications/robots.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
@domain_error_pages
def robot_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    services.robot_webhook_delete(actor=request.user, webhook=robot_webhook_get(user=request.user, webhook_id=pk))
    messages.success(request, _("The robot was removed."))
    return redirect("notifications:robots")
