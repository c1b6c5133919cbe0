"""Page views map domain errors in one place (sharing_platform/pages.py): 404 page, 403 page saying why,
the refusal next to the form's field (400), or a message and a redirect."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_approve, booking_create
from sharing_platform.errors import DomainConflictError, DomainValidationError
from sharing_platform.pages import domain_error_pages, refusal_shown_on
from tests.bookings.factories import local_slot
from tests.factories import UserFactory


def _page_request(method: str = "post"):
    request = getattr(RequestFactory(), method)("/somewhere/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.django_db
def test_pages_permission_refusal_is_a_403_page_saying_why(client, instrument, user):
    start, end = local_slot(days=3)
    booking = booking_create(instrument=instrument, requester=user, start=start, end=end, purpose="XRD")
    client.force_login(UserFactory())  # may see nothing of it
    response = client.post(reverse("bookings:action", args=[booking.pk, "approve"]))
    assert response.status_code == 404  # not visible: not found, not "forbidden"
    client.force_login(user)  # the requester may see it but not approve it
    response = client.post(reverse("bookings:action", args=[booking.pk, "approve"]))
    assert response.status_code == 403
    assert "Only the instrument&#x27;s managers can approve this booking." in response.content.decode()
    assert "Not allowed" in response.content.decode()
    booking.refresh_from_db()
    assert booking.state == "requested"


@pytest.mark.django_db
def test_pages_refused_form_is_shown_again_with_the_message_next_to_the_field(client, instrument, user):
    client.force_login(user)
    start = timezone.localtime() - timedelta(days=1)
    response = client.post(
        reverse("bookings:create", args=[instrument.pk]),
        {
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "purpose": "XRD",
        },
    )
    assert response.status_code == 400
    assert "The start is in the past." in response.context["form"].errors["start"]
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_pages_refused_action_is_a_message_and_a_redirect(client, instrument, user, unit_manager):
    start, end = local_slot(days=3)
    booking = booking_create(instrument=instrument, requester=user, start=start, end=end, purpose="XRD")
    booking_approve(booking_id=booking.pk, actor=unit_manager)
    client.force_login(unit_manager)
    response = client.post(reverse("bookings:action", args=[booking.pk, "approve"]), {"next": "desk"})
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:provider-queue")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This booking is approved; it cannot be approved now."
    ]
    booking.refresh_from_db()
    assert booking.state == "approved"


@pytest.mark.django_db
def test_pages_not_found_from_a_selector_is_a_404(client, user):
    client.force_login(user)
    assert client.get(reverse("unit-detail", args=[999999])).status_code == 404
    assert client.get(reverse("instrument-create", args=[999999])).status_code == 404


def test_pages_decorator_sends_each_refusal_where_the_view_says():
    class NameForm(forms.Form):
        name = forms.CharField()

    def form_page(request, refusal, kind: str):
        return HttpResponse(f"form:{refusal.form.errors['name'][0]}", status=400)

    @domain_error_pages(form_page=form_page, redirect_to=lambda request, kind: "/back/")
    def view(request, kind: str):
        form = NameForm({"name": "x"})
        assert form.is_valid()
        with refusal_shown_on(form, conflicts=False):
            if kind == "invalid":
                raise DomainValidationError("Taken.", field="name")
            raise DomainConflictError("Too late.")

    shown = view(_page_request(), kind="invalid")
    assert (shown.status_code, shown.content) == (400, b"form:Taken.")
    back = view(request := _page_request(), kind="conflict")
    assert (back.status_code, back["Location"]) == (302, "/back/")
    assert [str(m) for m in get_messages(request)] == ["Too late."]

    @domain_error_pages
    def undecided(request):
        raise DomainConflictError("Nobody said where this goes.")

    with pytest.raises(DomainConflictError):  # a view must say: no silent default
        undecided(_page_request())

    @domain_error_pages
    def missing(request):
        from sharing_platform.errors import DomainNotFoundError

        raise DomainNotFoundError("No such thing.")

    with pytest.raises(Http404, match=r"No such thing\."):
        missing(_page_request("get"))


def test_pages_no_page_view_catches_domain_errors_itself():
    """Every page view leaves domain errors to sharing_platform/pages.py."""
    root = Path(settings.BASE_DIR)
    modules = [
        *root.glob("*/views.py"),
        *root.glob("*/views_*.py"),
        *root.glob("*/views/*.py"),
        *root.glob("sharing_platform/accounts/views.py"),
    ]
    assert len(modules) > 8
    caught = [
        f"{module.relative_to(root)}:{node.lineno}"
        for module in modules
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
        if isinstance(node, ast.ExceptHandler) and node.type is not None and "Domain" in ast.unparse(node.type)
    ]
    assert caught == []
