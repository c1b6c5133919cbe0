"""API keys through HTTP: scopes, unknown/revoked/expired keys, last use, the management command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from partners.models import Partner, PartnerKey, PartnerUser, Scope
from tests.unchanged import nothing_changed

from .conftest import key_client
from .factories import user_body

URL = "/api/v1/partner/users/"


def test_reverse_names_the_issue_paths():
    assert reverse("api-partner-users") == URL
    assert reverse("api-partner-bookings") == "/api/v1/partner/bookings/"
    assert reverse("api-webhooks") == "/api/v1/webhooks/"
    assert reverse("api-credit-reports") == "/api/v1/credit/reports/"


def test_key_only_hash_is_stored(issue_key):
    key, raw = issue_key([Scope.BOOKINGS_WRITE])
    stored = PartnerKey.objects.get(pk=key.pk)
    assert raw not in (stored.hashed_key, stored.id)
    assert raw.startswith(stored.prefix + ".")
    assert stored.hashed_key.startswith("sha512$$")


def test_key_with_scope_creates_user(issue_key):
    _key, raw = issue_key([Scope.BOOKINGS_WRITE])
    response = key_client(raw).post(URL, user_body(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["external_id"] == "stu-1"


def test_key_missing_scope_is_403_naming_it(issue_key):
    _key, raw = issue_key([Scope.CATALOGUE_READ, Scope.CREDIT_REPORT])
    response = key_client(raw).post(URL, user_body(), format="json")
    assert response.status_code == 403
    assert "bookings:write" in response.json()["detail"]
    assert not PartnerUser.objects.exists()


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("/api/v1/partner/bookings/", "bookings:write"),
        ("/api/v1/webhooks/", "webhooks:manage"),
    ],
)
def test_key_missing_scope_on_lists_names_it(issue_key, url, scope):
    _key, raw = issue_key([Scope.CATALOGUE_READ])
    response = key_client(raw).get(url)
    assert response.status_code == 403
    assert scope in response.json()["detail"]


def test_key_missing_scope_on_credit_reports_names_it(issue_key):
    _key, raw = issue_key([Scope.CREDIT_READ])
    with nothing_changed():
        response = key_client(raw).post("/api/v1/credit/reports/", {}, format="json")
    assert response.status_code == 403
    assert "credit:report" in response.json()["detail"]


def test_key_absent_is_401(api_client, db):
    response = api_client.post(URL, user_body(), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_key_unknown_is_401(issue_key, partner):
    key, _raw = issue_key()
    for bad in ("nonsense", f"{key.prefix}.wrongsecret", "abcdefgh.0123456789abcdef0123456789abcdef"):
        response = key_client(bad).post(URL, user_body(), format="json")
        assert response.status_code == 401, bad
        assert response.json()["detail"] == "Unknown API key."
    assert not PartnerUser.objects.exists()


def test_key_malformed_header_is_401(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key")
    response = api_client.post(URL, user_body(), format="json")
    assert response.status_code == 401
    assert "Api-Key <key>" in response.json()["detail"]


def test_key_revoked_is_401(issue_key):
    key, raw = issue_key()
    PartnerKey.objects.filter(pk=key.pk).update(revoked=True)
    response = key_client(raw).post(URL, user_body(), format="json")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert not PartnerUser.objects.exists()


def test_key_expired_is_401(issue_key):
    key, raw = issue_key(expires_in=timedelta(days=1))
    PartnerKey.objects.filter(pk=key.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    response = key_client(raw).post(URL, user_body(), format="json")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert not PartnerUser.objects.exists()


def test_key_of_inactive_partner_is_401(issue_key, partner):
    _key, raw = issue_key()
    Partner.objects.filter(pk=partner.pk).update(is_active=False)
    response = key_client(raw).post(URL, user_body(), format="json")
    assert response.status_code == 401
    assert "suspended" in response.json()["detail"]


def test_key_not_expired_yet_works(issue_key):
    _key, raw = issue_key(expires_in=timedelta(days=3))
    assert key_client(raw).post(URL, user_body(), format="json").status_code == 201


def test_user_token_is_not_a_partner_key(api_client, user):
    """A platform user's knox token does not open the partner API (403 names the scope needed)."""
    _token, raw = AuthToken.objects.create(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = api_client.post(URL, user_body(), format="json")
    assert response.status_code in {401, 403}
    assert not PartnerUser.objects.exists()


def test_key_is_not_a_user_on_user_endpoints(partner_api):
    """A partner key is not a signed-in person on the people's API."""
    response = partner_api.get("/api/v1/bookings/")
    assert response.status_code in {401, 403}


def test_key_last_used_recorded_cheaply(issue_key, django_assert_max_num_queries):
    key, raw = issue_key([Scope.WEBHOOKS_MANAGE])
    assert key.last_used_at is None
    client = key_client(raw)
    assert client.get("/api/v1/webhooks/").status_code == 200
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    # Within the resolution window the next request reads the key and the list, and writes nothing.
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/webhooks/").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == first_use


def test_key_revoke_cannot_be_undone(issue_key):
    from django.core.exceptions import ValidationError

    key, _raw = issue_key()
    key.revoked = True
    key.save()
    key = PartnerKey.objects.get(pk=key.pk)
    key.revoked = False
    with pytest.raises(ValidationError):
        key.save()


def test_create_partner_key_command_prints_working_key_once(db):
    out = StringIO()
    call_command("create_partner_key", "Credit Bureau", "--scopes", "credit:report,webhooks:manage",
                 "--expires-days", "30", stdout=out)  # fmt: skip
    lines = out.getvalue().strip().splitlines()
    raw = lines[-1]
    assert out.getvalue().count(raw) == 1
    key = PartnerKey.objects.get(partner__name="Credit Bureau")
    assert key.scopes == ["credit:report", "webhooks:manage"]
    assert key.expiry_date is not None
    assert raw not in (key.hashed_key, key.id)
    assert key_client(raw).get("/api/v1/webhooks/").status_code == 200
    assert key_client(raw).get("/api/v1/partner/bookings/").status_code == 403


def test_create_partner_key_command_refuses_unknown_scope(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown scopes: bookings:read"):
        call_command("create_partner_key", "X", "--scopes", "bookings:read", stdout=StringIO())
    assert not PartnerKey.objects.exists()
    assert not Partner.objects.exists()


def test_create_partner_key_command_reuses_partner(db):
    call_command("create_partner_key", "Portal", "--scopes", "catalogue:read", stdout=StringIO())
    call_command("create_partner_key", "Portal", "--scopes", "bookings:write", stdout=StringIO())
    assert Partner.objects.count() == 1
    assert PartnerKey.objects.count() == 2
