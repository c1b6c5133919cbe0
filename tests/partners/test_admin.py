"""Admin: every page opens; a key issued in the admin is shown once and works; revoke action."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from partners.models import PartnerKey, Scope

from .conftest import key_client


@pytest.mark.parametrize(
    "model", ["partner", "partnerkey", "partneruser", "webhookendpoint", "webhookdelivery", "idempotencyrecord",
              "partnercreditreport"]
)  # fmt: skip
def test_admin_changelists_open(client, platform_admin, partner_api, model):
    client.force_login(platform_admin)
    assert client.get(f"/admin/partners/{model}/").status_code == 200


def test_admin_issues_key_shown_once(client, platform_admin, partner):
    client.force_login(platform_admin)
    assert client.get("/admin/partners/partnerkey/add/").status_code == 200
    response = client.post(
        "/admin/partners/partnerkey/add/",
        {"partner": partner.pk, "name": "portal", "scopes": [Scope.WEBHOOKS_MANAGE]},
        follow=True,
    )
    assert response.status_code == 200
    key = PartnerKey.objects.get(partner=partner)
    assert key.scopes == [Scope.WEBHOOKS_MANAGE]
    text = " ".join(str(message) for message in get_messages(response.wsgi_request))
    raw = next(word.rstrip(".") for word in text.split() if word.startswith(key.prefix + "."))
    assert key_client(raw).get("/api/v1/webhooks/").status_code == 200
    assert client.get(f"/admin/partners/partnerkey/{key.pk}/change/").status_code == 200
    assert raw not in client.get(f"/admin/partners/partnerkey/{key.pk}/change/").content.decode()


def test_admin_revoke_action(client, platform_admin, issue_key):
    key, raw = issue_key()
    client.force_login(platform_admin)
    response = client.post("/admin/partners/partnerkey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked
    assert key_client(raw).get("/api/v1/webhooks/").status_code == 401
