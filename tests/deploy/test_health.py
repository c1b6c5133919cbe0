"""GET /healthz: database and broker health, 200 or 503 naming what is down; no auth, never cached."""

import os
import socket

import pytest
from django.db import OperationalError, connection

# The CI machine runs Redis; this test must run there (never skipped). Redis db 6 is this suite's.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/6"


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_healthz_ok_without_broker_reports_in_process(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "in-process"}}
    assert "no-store" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_ok_with_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = REDIS_URL

    response = client.get("/healthz")

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_healthz_503_when_redis_broker_port_is_closed(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/6"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "ok", "broker": "down"}, "down": ["broker"]}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_503_when_non_redis_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


@pytest.mark.django_db
def test_healthz_503_when_database_is_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "error", "checks": {"database": "down", "broker": "in-process"}, "down": ["database"]}


@pytest.mark.django_db
def test_healthz_names_every_failed_check(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/6"

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["database", "broker"]


@pytest.mark.django_db
def test_healthz_anonymous_and_exempt_from_https_redirect(client, settings):
    """The container health check calls it over plain HTTP inside the container, without a session."""
    settings.CELERY_BROKER_URL = ""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    # Other pages are redirected to HTTPS under the same settings: the exemption is only for /healthz.
    assert client.get("/api/docs/").status_code == 301


@pytest.mark.django_db
def test_healthz_refuses_writes(client, settings):
    settings.CELERY_BROKER_URL = ""

    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
