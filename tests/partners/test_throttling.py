"""Throttling per key and per user: 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from .conftest import key_client
from .factories import user_body


def rates(**values):
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": values})


def test_throttle_per_key_429_with_retry_after(issue_key, partner_api):
    _key, raw = issue_key()
    other = key_client(raw)
    with rates(partner_key="3/min", partner_user="100/min"):
        assert [partner_api.get("/api/v1/webhooks/").status_code for _ in range(3)] == [200, 200, 200]
        response = partner_api.get("/api/v1/webhooks/")
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 60
        # Another key (even of the same partner) has its own budget.
        assert other.get("/api/v1/webhooks/").status_code == 200


def test_throttle_per_partner_user(partner_api):
    with rates(partner_key="100/min", partner_user="2/min"):
        statuses = [partner_api.post("/api/v1/partner/users/", user_body("stu-1"), format="json").status_code
                    for _ in range(3)]  # fmt: skip
        assert statuses == [201, 200, 429]
        assert partner_api.post("/api/v1/partner/users/", user_body("stu-2"), format="json").status_code == 201


@pytest.mark.parametrize("url", ["/api/v1/partner/bookings/", "/api/v1/webhooks/"])
def test_throttle_defaults_do_not_bite_normal_use(partner_api, url):
    assert all(partner_api.get(url).status_code == 200 for _ in range(20))
