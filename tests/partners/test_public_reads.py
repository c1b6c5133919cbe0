"""The catalogue and the public credit lists are public: a partner reads them with its key (or without)."""

from __future__ import annotations

import pytest

from partners.models import Scope

from .conftest import key_client


@pytest.mark.parametrize("url", ["/api/v1/instruments/", "/api/v1/credit/lists/red/", "/api/v1/credit/lists/black/"])
def test_public_reads_accept_a_partner_key(issue_key, instrument, url):
    _key, raw = issue_key([Scope.CATALOGUE_READ, Scope.CREDIT_READ])
    assert key_client(raw).get(url).status_code == 200
