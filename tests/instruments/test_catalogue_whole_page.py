"""The whole catalogue page in the shared cache for visitors without a session or messages (issue 14.1, fifth
pass): each visitor still gets a CSRF token of their own that the language form accepts, the page links back to
the visitor's own address, and anyone with something of their own on the page (a session, a pending message) is
never served the shared copy. Retired instruments and suspended units leave it like every other cached page
(tests/instruments/test_catalogue_cache.py: its anonymous `page()` is this page)."""

import re
from unittest import mock

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import InstrumentFactory, UserFactory

from .test_catalogue_cache import cache_reads_of, queries_of

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT = re.compile(r'name="next" type="hidden" value="([^"]*)"')


@pytest.fixture
def listed():
    return InstrumentFactory(name_en="Shared spectrometer")


def visit(client: Client, query: str = "") -> str:
    response = client.get(reverse("catalogue") + query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeated_page_is_one_cache_round_trip_and_no_template(listed):
    visit(Client())
    with (
        mock.patch("instruments.views.catalogue.render_to_string") as rendered,
        mock.patch("instruments.views.catalogue.render") as page_rendered,
    ):
        assert cache_reads_of(lambda: visit(Client())) == 1
    rendered.assert_not_called()
    page_rendered.assert_not_called()
    assert queries_of(lambda: visit(Client())) == 0


def test_every_visitor_gets_their_own_csrf_token_and_the_language_form_accepts_it(listed):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_html, second_html = visit(first), visit(second)  # the second from the cache
    assert "Shared spectrometer" in second_html
    tokens = [TOKEN.findall(html) for html in (first_html, second_html)]
    assert len(tokens[0]) == len(tokens[1]) == 1
    assert tokens[0] != tokens[1]
    for client, (token,) in zip((first, second), tokens, strict=True):
        assert client.cookies["csrftoken"].value  # set on the cached answer too
        switched = client.post(
            reverse("set_language"), {"language": "zh-hans", "next": "/catalogue/"}, **{"HTTP_X_CSRFTOKEN": token}
        )
        assert switched.status_code == 302
    refused = Client(enforce_csrf_checks=True)
    visit(refused)
    assert refused.post(reverse("set_language"), {"language": "zh-hans"}).status_code == 403


def test_the_page_links_back_to_each_visitors_own_address(listed):
    one, other = "?q=spectrometer&ordering=name", "?ordering=name&q=spectrometer"
    assert NEXT.findall(visit(Client(), one)) == [f"/catalogue/{one}".replace("&", "&amp;")]
    assert NEXT.findall(visit(Client(), other)) == [f"/catalogue/{other}".replace("&", "&amp;")]


def test_a_signed_in_visitor_or_a_pending_message_is_never_served_the_shared_page(listed):
    visit(Client())
    visit(Client())  # cached
    member = Client()
    member.force_login(UserFactory(username="page-reader"))
    assert "page-reader" in visit(member)
    assert "Log in" not in visit(member)

    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    carrier = HttpResponse()
    storage._store([Message(constants.SUCCESS, "Your request was sent.")], carrier)
    with_message = Client()
    with_message.cookies[CookieStorage.cookie_name] = carrier.cookies[CookieStorage.cookie_name].value
    assert "Your request was sent." in visit(with_message)
    assert "Your request was sent." not in visit(Client())


def test_a_page_cached_by_another_build_of_the_static_files_is_not_served(listed):
    from instruments.views import catalogue

    visit(Client())
    with mock.patch.object(catalogue, "render", wraps=catalogue.render) as rendered:
        visit(Client())
        rendered.assert_not_called()
        with mock.patch.object(catalogue, "_static_build", return_value="/static/css/app.new.css"):
            visit(Client())
        rendered.assert_called_once()
