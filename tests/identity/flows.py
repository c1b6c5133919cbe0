"""Drive the test university's real sign-on pages over HTTP, as a browser would (requests follows the form)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from .servers import IdpServer

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _csrf(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token on the IdP's sign-in form"
    return match.group(1)


def idp_sign_in(idp: IdpServer, start_location: str, username: str, password: str, session=None) -> str:
    """Follow the platform's redirect to the IdP, sign in there, and return the URL it sends the browser back to."""
    session = session or requests.Session()
    url = start_location
    for _hop in range(10):
        response = session.get(url, allow_redirects=False, timeout=30)
        if response.status_code in {301, 302, 303}:
            target = urljoin(url, response.headers["Location"])
            if not target.startswith(idp.url):
                return target
            url = target
            continue
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:500]}"
        # A sign-in form (CAS /login or the OIDC provider's /accounts/login/): post the credentials.
        posted = session.post(
            url,
            data={"csrfmiddlewaretoken": _csrf(response.text), "username": username, "password": password},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
        assert posted.status_code in {301, 302, 303}, f"the IdP refused {username}: {posted.text[:800]}"
        target = urljoin(url, posted.headers["Location"])
        if not target.startswith(idp.url):
            return target
        url = target
    raise AssertionError("too many redirects at the IdP")


def local_path(url: str) -> str:
    """The path and query of a platform URL, for Django's test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def query_value(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query).get(name, [""])[0]
