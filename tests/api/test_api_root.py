"""The API root, JSON 404s for every unmatched /api/ path, and the browsable API's sign-in link."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"detail", "code"}


def test_api_root_lists_the_main_resources_as_json(client):
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["version"] == "v1"
    resources = body["resources"]
    for key, path in {
        "instruments": "/api/v1/instruments/",
        "categories": "/api/v1/categories/",
        "regions": "/api/v1/regions/",
        "units": "/api/v1/units/",
        "bookings": "/api/v1/bookings/",
        "credit_red_list": "/api/v1/credit/lists/red/",
        "schema": "/api/schema/",
        "docs": "/api/docs/",
    }.items():
        assert resources[key] == f"http://testserver{path}", key


def test_api_root_links_lead_to_live_endpoints(client):
    resources = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()["resources"]
    for key in ("instruments", "categories", "regions", "units", "stats", "credit_red_list", "schema"):
        path = resources[key].removeprefix("http://testserver")
        assert client.get(path, HTTP_ACCEPT="application/json").status_code == 200, key


@pytest.mark.parametrize(
    "path",
    ["/api/", "/api/v1/nothing-here/", "/api/v2/instruments/", "/api/v1/instruments/abc/", "/api/v1/credit/nope"],
)
def test_api_unmatched_paths_are_json_404_in_the_error_shape(client, path):
    for method in ("get", "post", "put", "delete"):
        response = getattr(client, method)(path)

        assert response.status_code == 404, (method, path)
        assert response["Content-Type"].startswith("application/json"), (method, path)
        body = response.json()
        assert set(body) == ERROR_KEYS
        assert body["code"] == "not_found"
        assert path in body["detail"]


def test_api_unmatched_path_is_json_even_for_a_signed_in_browser_post(client, user):
    """CSRF protection would answer a session POST with an HTML 403 page; an unknown path is still a JSON 404."""
    client.force_login(user)
    response = client.post("/api/v1/unknown/", {"a": 1})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_known_routes_keep_their_own_answers(client, instrument):
    assert client.get(f"/api/v1/instruments/{instrument.pk}/").status_code == 200
    missing = client.get("/api/v1/instruments/999999999/")
    assert missing.status_code == 404
    assert "detail" in missing.json()  # DRF's own 404 for an unknown id, not the catch-all


def test_pages_outside_the_api_keep_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_browsable_api_offers_a_sign_in_link_that_works(client, user):
    page = client.get("/api/v1/instruments/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    login_url = reverse("rest_framework:login")
    assert login_url == "/api/auth/login/"
    assert f"href='{login_url}?next=/api/v1/instruments/'>Log in</a>" in page.content.decode()

    form = client.get(login_url)
    assert form.status_code == 200
    response = client.post(
        f"{login_url}?next=/api/v1/auth/me/",
        {"username": user.username, "password": "correct-horse-battery-9", "next": "/api/v1/auth/me/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/auth/me/"
    me = client.get("/api/v1/auth/me/", HTTP_ACCEPT="application/json")
    assert me.status_code == 200
    assert me.json()["username"] == user.username
