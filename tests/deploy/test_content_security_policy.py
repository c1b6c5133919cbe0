"""Every response carries a strict Content-Security-Policy, and no template needs it loosened (issue 12, item 11).

Strict: scripts and styles only from our own origin (no 'unsafe-inline', 'unsafe-eval', nonces, hashes,
data: or wildcards), no plugins, no <base>, nobody may frame us. The browser tests (tests/browser) load
the pages and the API docs under this policy and fail on any violation; this file checks the header on
pages, the docs' separate init script, API answers (also errors, with DEBUG off) and the templates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse

from tests.factories import InstrumentFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
HUGE_PAGE = "561399989803013439488"
# What a template may never contain under the policy.
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "on*= handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_strict(response) -> None:
    header = response.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy"
    policy = directives(header)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert set(policy["img-src"]) <= {"'self'", "data:"}
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    everything = " ".join(" ".join(values) for values in policy.values())
    for loose in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "nonce-", "sha256-", "*", "http:", "https:"):
        assert loose not in everything, (loose, header)
    assert "Content-Security-Policy-Report-Only" not in response


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/catalogue/", "/accounts/login/", "/accounts/signup/", "/credit/lists/", "/api/docs/", "/api/docs/?script="],
)
def test_csp_strict_on_pages(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_strict(response)
    if path == "/api/docs/?script=":  # Swagger UI's init script, a same-origin file instead of inline code
        assert response["Content-Type"].startswith("application/javascript")
        assert "SwaggerUIBundle(" in response.content.decode()


@pytest.mark.django_db
def test_csp_strict_on_signed_in_pages_without_inline_code(client):
    user = UserFactory()
    instrument = InstrumentFactory()
    client.force_login(user)
    for path in ("/", reverse("instrument-detail", args=[instrument.pk]), reverse("bookings:feeds")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)
        html = response.content.decode()
        found = {name for name, pattern in INLINE.items() if pattern.search(html)}
        assert not found, (path, found)
    assert "data-submit-on-change" in client.get("/").content.decode()  # the language switcher, via app.js


@pytest.mark.django_db
def test_csp_strict_on_api_answers_and_errors(client, settings):
    settings.DEBUG = False  # django-csp leaves DEBUG's own 404/500 pages alone; production has DEBUG off
    for path, expected in [
        ("/api/v1/units/", 200),
        ("/api/v1/instruments/", 200),
        (f"/api/v1/units/?page={HUGE_PAGE}", 404),
        ("/api/v1/auth/me/", 401),
        ("/api/schema/", 200),
        ("/healthz", 200),
        ("/no-such-page/", 404),
    ]:
        response = client.get(path)
        assert response.status_code == expected, (path, response.status_code)
        assert_strict(response)


def _template_files() -> list[Path]:
    directories = [Path(directory) for directory in engines["django"].engine.dirs]
    directories += [ROOT / app / "templates" for app in ("instruments", "credit", "bookings", "analytics", "partners")]
    directories += [ROOT / "sharing_platform" / package / "templates" for package in ("accounts",)]
    return sorted(path for directory in directories if directory.is_dir() for path in directory.rglob("*.html"))


def test_csp_no_template_needs_inline_code():
    files = _template_files()
    assert len(files) > 40  # the search found the templates
    offences = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name, pattern in INLINE.items()
        if pattern.search(re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL))
    ]
    assert offences == []


@pytest.mark.django_db
def test_csp_browsable_api_page_has_no_inline_style_element(client):
    response = client.get("/api/v1/units/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert_strict(response)
    html = response.content.decode()
    assert "rest_framework/css/default.css" in html
    assert not INLINE["<style> element"].search(html)
    assert not INLINE["inline <script>"].search(html.replace('<script type="application/json" id="drf_csrf">', ""))
