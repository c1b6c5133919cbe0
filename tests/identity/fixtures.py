"""Session fixtures for the real sign-on servers (a pytest plugin: tests/conftest.py loads it, so the
browser journeys can use them too). Each server starts on first use and stops at the end."""

from __future__ import annotations

import pytest

from .servers import idp_start, slapd_start


@pytest.fixture(scope="session")
def idp_server(tmp_path_factory):
    """The test university's CAS + OpenID Connect server (platform callbacks on testserver registered)."""
    server = idp_start(tmp_path_factory.mktemp("idp"), redirect_uris=("http://testserver/accounts/oidc/callback/",))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def slapd_server(tmp_path_factory):
    server = slapd_start(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()
