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


def _key_form(key, **changes) -> dict:
    data = {"partner": key.partner_id, "name": key.name, "scopes": list(key.scopes), "expiry_date_0": "",
            "expiry_date_1": ""}  # fmt: skip
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_admin_change_form_revokes_through_the_service(client, platform_admin, issue_key):
    key, raw = issue_key()
    client.force_login(platform_admin)
    response = client.post(f"/admin/partners/partnerkey/{key.pk}/change/", _key_form(key, revoked="on"))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked
    assert key_client(raw).get("/api/v1/webhooks/").status_code == 401


def test_admin_change_form_renames_and_rescopes_a_key(client, platform_admin, issue_key):
    key, raw = issue_key([Scope.WEBHOOKS_MANAGE])
    client.force_login(platform_admin)
    response = client.post(
        f"/admin/partners/partnerkey/{key.pk}/change/",
        _key_form(key, name="renamed", scopes=[Scope.WEBHOOKS_MANAGE, Scope.CATALOGUE_READ]),
    )
    assert response.status_code == 302
    key.refresh_from_db()
    scopes = sorted([Scope.WEBHOOKS_MANAGE, Scope.CATALOGUE_READ])
    assert (key.name, key.scopes, key.revoked) == ("renamed", scopes, False)
    assert key_client(raw).get("/api/v1/webhooks/").status_code == 200


def test_admin_refuses_an_expiry_in_the_past_and_changes_nothing(client, platform_admin, issue_key, partner):
    key, _raw = issue_key()
    client.force_login(platform_admin)
    past = {"expiry_date_0": "2020-01-01", "expiry_date_1": "12:00:00"}
    response = client.post(f"/admin/partners/partnerkey/{key.pk}/change/", _key_form(key, name="renamed", **past))
    assert response.status_code == 200
    assert "The expiry must be in the future." in response.content.decode()
    key.refresh_from_db()
    assert (key.name, key.expiry_date) == ("test key", None)
    response = client.post(
        "/admin/partners/partnerkey/add/", {"partner": partner.pk, "name": "late", "scopes": [], **past}
    )
    assert response.status_code == 200
    assert not PartnerKey.objects.filter(name="late").exists()
