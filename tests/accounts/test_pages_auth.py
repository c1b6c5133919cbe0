"""Sign up, log in and log out in the browser."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

User = get_user_model()


@pytest.mark.django_db
def test_signup_page_renders(client):
    response = client.get(reverse("signup"))
    assert response.status_code == 200
    assert b'name="password2"' in response.content
    assert b'name="email"' in response.content


@pytest.mark.django_db
def test_signup_creates_user_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "ada",
            "email": "ada@example.org",
            "password1": "analytical-engine-1843",
            "password2": "analytical-engine-1843",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="ada")
    assert user.email == ""  # attached once confirmed (tests/accounts/test_registration_privacy.py)
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_signup_redirects_to_safe_next_only(client):
    data = {"username": "ada", "email": "ada@example.org", "password1": "analytical-engine-1843"}
    data["password2"] = data["password1"]
    response = client.post(reverse("signup") + "?next=https://evil.example/", data)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password2": "different-password-1"}, "password2", b"didn"),
        ({"password1": "12345678", "password2": "12345678"}, "password2", b"entirely numeric"),
        ({"email": "nope"}, "email", b"valid email"),
        ({"username": ""}, "username", b"required"),
    ],
)
def test_signup_shows_errors_next_to_fields(client, changes, field, message):
    data = {"username": "ada", "email": "ada@example.org", "password1": "analytical-engine-1843"}
    data["password2"] = data["password1"]
    data.update(changes)
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}_errors"'.encode() in response.content
    assert message in response.content
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_signup_refuses_taken_username_but_says_nothing_of_the_email(client):
    UserFactory(username="ada", email="ada@example.org")
    data = {"username": "ada", "email": "ADA@example.org", "password1": "analytical-engine-1843"}
    data["password2"] = data["password1"]
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "username" in errors
    assert "email" not in errors
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_login_and_logout(client, user):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("logout")).status_code == 405  # logging out needs a POST
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_wrong_password_shows_error(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_signup_when_logged_in_redirects(client, user):
    client.force_login(user)
    assert client.get(reverse("signup")).status_code == 302
