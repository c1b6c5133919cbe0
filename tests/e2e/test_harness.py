"""The end-to-end harness itself: compose interpolation, local rewrites, commands, and the log check."""

import json
from pathlib import Path

import pytest

from .processes import (
    Process,
    Surroundings,
    interpolate,
    log_problems,
    service_command,
    service_environment,
    with_option,
)

SURROUNDINGS = Surroundings(
    database_url="postgres://postgres@127.0.0.1:5432/e2e_test",
    redis_url="redis://127.0.0.1:6379/12",
    workdir=Path("/srv/e2e-work"),
    compose_variables={
        "SECRET_KEY": "s3cret",
        "POSTGRES_PASSWORD": "pw",
        "POSTGRES_APP_USER": "e2e_app_test",
        "POSTGRES_APP_PASSWORD": "app-pw",
        "SECURE_SSL_REDIRECT": "false",
    },
)
APP_URL = "postgres://e2e_app_test:app-pw@127.0.0.1:5432/e2e_test"


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A}", {}, ""),
        ("localhost,${A:-127.0.0.1}", {"A": "example.org"}, "localhost,example.org"),
        ("$${A}", {"A": "no"}, "${A}"),
    ],
)
def test_harness_interpolate_follows_compose(text, variables, expected):
    assert interpolate(text, variables) == expected


def test_harness_interpolate_refuses_missing_required_variable():
    with pytest.raises(AssertionError, match="requires SECRET_KEY"):
        interpolate("${SECRET_KEY:?set SECRET_KEY}", {})


def test_harness_environment_points_compose_services_at_local_ones():
    env = service_environment("worker", SURROUNDINGS)

    assert env["DATABASE_URL"] == APP_URL  # the application's role, on the local server
    assert env["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/12"
    assert env["SECRET_KEY"] == "s3cret"
    assert env["DEBUG"] == "false"
    assert env["SECURE_SSL_REDIRECT"] == "false"
    assert env["MEDIA_ROOT"] == "/srv/e2e-work/media"
    assert env["DJANGO_SETTINGS_MODULE"] == "sharing_platform.settings"  # from the Dockerfile's ENV
    assert not [value for value in env.values() if "@db:" in value or "//redis:" in value]


def test_harness_migrate_runs_as_the_owner_and_grants_the_app_role():
    env = service_environment("migrate", SURROUNDINGS)

    assert env["DATABASE_URL"] == SURROUNDINGS.database_url  # the owner: the local superuser stands in
    assert env["DATABASE_APP_URL"] == APP_URL
    assert service_environment("web", SURROUNDINGS)["DATABASE_URL"] == APP_URL
    assert service_environment("beat", SURROUNDINGS)["DATABASE_URL"] == APP_URL


def test_harness_commands_come_from_compose():
    assert service_command("migrate") == [
        ["python", "manage.py", "migrate", "--noinput"],
        ["python", "manage.py", "db_app_role"],
    ]
    *before, server = service_command("web")
    assert [step[2] for step in before] == ["collectstatic"]
    assert server[:2] == ["gunicorn", "sharing_platform.wsgi:application"]
    assert with_option(server, "--bind", "127.0.0.1:9")[-2:] == ["--bind", "127.0.0.1:9"]
    (worker,) = service_command("worker")
    (beat,) = service_command("beat")
    assert worker[:4] == ["celery", "-A", "sharing_platform", "worker"]
    assert beat[:4] == ["celery", "-A", "sharing_platform", "beat"]


def test_harness_log_check_flags_errors_and_tracebacks(tmp_path):
    log = tmp_path / "worker.log"
    lines = [
        json.dumps({"level": "INFO", "logger": "celery", "message": "ready."}),
        json.dumps({"level": "WARNING", "logger": "django.request", "message": "Bad Request: /api/v1/bookings/"}),
        json.dumps({"level": "ERROR", "logger": "celery.app.trace", "message": "Task failed", "exc": "Traceback..."}),
        "Traceback (most recent call last):",
        json.dumps({"level": "CRITICAL", "logger": "celery.worker", "message": "Unrecoverable error"}),
    ]
    log.write_text("\n".join(lines))
    process = Process(name="celery-worker", command=[], log=log, popen=None)

    problems = log_problems(process)

    assert problems == [f"celery-worker: {line}" for line in lines[2:]]
