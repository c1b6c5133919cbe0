"""Registration does not reveal whether an e-mail address belongs to an account: the API and the
page answer the same way, the account gets the address only once it is confirmed from the mail sent to it,
and the owner of an address already in use gets a notice instead."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from sharing_platform.accounts import services
from tests.factories import UserFactory

User = get_user_model()
REGISTER = "/api/v1/auth/register/"
CONFIRM = "/api/v1/auth/confirm-email/"
PASSWORD = "radium-and-polonium-1898"
LINK = re.compile(r"http://testserver(/accounts/confirm-email/[^/\s]+/)")


def _register(api_client, capture, username, email):
    with capture(execute=True):
        return api_client.post(REGISTER, {"username": username, "email": email, "password": PASSWORD}, format="json")


@pytest.mark.django_db
def test_register_api_answers_alike_whether_or_not_the_email_is_taken(api_client, django_capture_on_commit_callbacks):
    owner = UserFactory(username="marie", email="marie@example.org")
    free = _register(api_client, django_capture_on_commit_callbacks, "pierre", "pierre@example.org")
    taken = _register(api_client, django_capture_on_commit_callbacks, "irene", "MARIE@example.org")
    assert free.status_code == taken.status_code == 201
    free_body, taken_body = free.json(), taken.json()
    assert set(free_body) == set(taken_body) == {"id", "username", "email", "pending_email", "detail"}
    assert free_body["email"] == taken_body["email"] == ""
    assert free_body["detail"].replace("pierre@example.org", "X") == taken_body["detail"].replace(
        "MARIE@example.org", "X"
    )
    # Both accounts exist and sign in; neither has an address yet; the owner's account is untouched.
    assert set(User.objects.filter(username__in=["pierre", "irene"]).values_list("email", flat=True)) == {""}
    owner.refresh_from_db()
    assert owner.email == "marie@example.org"
    for username in ("pierre", "irene"):
        response = api_client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
        assert response.status_code == 200
    # One mail each, to the address given: a link for the free one, a notice to the taken one's owner.
    assert [message.to for message in mail.outbox] == [["pierre@example.org"], ["MARIE@example.org"]]
    link_mail, notice = mail.outbox
    assert LINK.search(link_mail.body)
    assert not LINK.search(notice.body)
    assert '"marie"' in notice.body
    assert '"irene"' in notice.body


@pytest.mark.django_db
def test_signup_page_answers_alike_whether_or_not_the_email_is_taken(client, django_capture_on_commit_callbacks):
    UserFactory(username="marie", email="marie@example.org")
    answers = []
    for username, email in (("pierre", "pierre@example.org"), ("irene", "marie@example.org")):
        client.logout()
        data = {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("signup"), data, follow=True)
        assert response.status_code == 200
        assert response.context["user"].username == username
        page = response.content.decode().replace(email, "EMAIL").replace(username, "NAME")
        answers.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page))
    assert "We sent a message to EMAIL" in answers[0]
    assert answers[0] == answers[1]
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_email_confirmed_on_the_page_by_a_click_not_by_opening_the_link(client, django_capture_on_commit_callbacks):
    data = {"username": "pierre", "email": "Pierre@Example.org", "password1": PASSWORD, "password2": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), data)
    path = LINK.search(mail.outbox[0].body).group(1)
    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert b"Confirm my address" in page.content
    assert User.objects.get(username="pierre").email == ""  # opening the link (a mail scanner) changes nothing
    response = client.post(path, follow=True)
    assert response.status_code == 200
    assert User.objects.get(username="pierre").email == "Pierre@example.org"
    assert b"is confirmed" in response.content
    assert client.post(path).status_code == 302  # again: nothing more to do


@pytest.mark.django_db
def test_email_confirmed_through_the_api(api_client, django_capture_on_commit_callbacks):
    _register(api_client, django_capture_on_commit_callbacks, "pierre", "pierre@example.org")
    token = LINK.search(mail.outbox[0].body).group(1).split("/")[-2]
    response = api_client.post(CONFIRM, {"token": token}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == "pierre@example.org"
    user = User.objects.get(username="pierre")
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/auth/me/").json()["email"] == "pierre@example.org"


@pytest.mark.django_db
def test_email_confirm_refuses_an_address_taken_meanwhile(api_client, client, django_capture_on_commit_callbacks):
    _register(api_client, django_capture_on_commit_callbacks, "pierre", "shared@example.org")
    token = LINK.search(mail.outbox[0].body).group(1).split("/")[-2]
    UserFactory(username="early", email="SHARED@example.org")
    response = api_client.post(CONFIRM, {"token": token}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    page = client.post(reverse("email-confirm", args=[token]))
    assert page.status_code == 400
    assert b"in the meantime" in page.content
    assert User.objects.get(username="pierre").email == ""


@pytest.mark.django_db
def test_email_confirm_refuses_forged_and_expired_links(api_client, monkeypatch):
    user = UserFactory(email="")
    forged = services.email_confirm_token(user=user, email="x@example.org")[:-2] + "xx"
    response = api_client.post(CONFIRM, {"token": forged}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "link_invalid")
    token = services.email_confirm_token(user=user, email="x@example.org")
    monkeypatch.setattr(services, "EMAIL_CONFIRM_MAX_AGE", timedelta(seconds=-1))
    response = api_client.post(CONFIRM, {"token": token}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "link_expired")
    user.refresh_from_db()
    assert user.email == ""


@pytest.mark.django_db
def test_registration_mail_outage_still_creates_the_account(api_client, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    response = _register(api_client, django_capture_on_commit_callbacks, "pierre", "pierre@example.org")
    assert response.status_code == 201
    assert User.objects.filter(username="pierre").exists()


@pytest.mark.django_db
def test_admin_cannot_give_an_account_another_accounts_email(client):
    from tests.factories import AdminUserFactory

    owner = UserFactory(email="owner@example.org")
    other = UserFactory(email="other@example.org")
    client.force_login(AdminUserFactory())
    url = reverse("admin:auth_user_change", args=[other.pk])
    form = client.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update({"email": "OWNER@example.org", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Another account already uses this e-mail address." in response.content.decode()
    other.refresh_from_db()
    assert other.email == "other@example.org"
    assert owner.email == "owner@example.org"
