"""Production settings (DEBUG off): `check --deploy` is clean, hardening is on, logs are JSON lines.

Each test starts a fresh Python process with a production environment, as the containers do.
"""

import json
import os
import secrets
import subprocess
import sys

from .checks import ROOT, env_names_read

SETTINGS_NAMES = (
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "STORAGES",
    "ALLOWED_HOSTS",
)


def production_env(**overrides: str | None) -> dict[str, str]:
    """A clean environment (nothing the settings read leaks in from the shell) with production values."""
    read = env_names_read()
    # DJANGO_ALLOW_ASYNC_UNSAFE belongs to the browser tests' process only; a deployment never sets it.
    env = {key: value for key, value in os.environ.items() if key not in read and key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="sharing_platform.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="example.org",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_in(env: dict[str, str]) -> dict:
    code = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {SETTINGS_NAMES!r}}}))\n"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_security_checks_pass_with_production_settings():
    """Django's security checks alone: cookies, HSTS, SSL redirect, SECRET_KEY, DEBUG..."""
    result = run_manage("check", "--deploy", "--tag", "security", "--fail-level", "WARNING", env=production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_check_deploy_prints_no_warnings_with_production_settings():
    """Every deploy check, including the API schema generation drf-spectacular runs under --deploy.

    A drf_spectacular.W001/W002 here belongs to the API view it names: give the view a
    ``queryset``/``serializer_class`` or ``@extend_schema``, or name colliding enums in
    ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``.
    """
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output.upper()


def test_settings_refuse_to_start_with_debug_off_and_no_secret_key():
    for missing in ("", None):
        env = production_env(SECRET_KEY=missing)
        assert ("SECRET_KEY" in env) is (missing is not None)

        result = run_manage("check", env=env)

        assert result.returncode != 0
        assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_settings_turn_on_the_hardening():
    values = settings_in(production_env())

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["ALLOWED_HOSTS"] == ["example.org"]


def test_production_settings_can_be_overridden_from_the_environment():
    values = settings_in(production_env(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="3600"))

    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 3600
    assert values["SESSION_COOKIE_SECURE"] is True


def test_development_settings_leave_the_hardening_off():
    values = settings_in(production_env(DEBUG="true", ALLOWED_HOSTS="localhost"))

    assert values["DEBUG"] is True
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_production_logs_are_json_lines_on_stdout():
    code = (
        "import django, logging\n"
        "django.setup()\n"
        "log = logging.getLogger('sharing_platform.deploy_test')\n"
        "log.warning('slot %s is taken', 42, extra={'booking_id': 7})\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    log.exception('could not divide')\n"
    )
    result = run_python(code, production_env())

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["level"], line["logger"], line["message"]) for line in lines] == [
        ("WARNING", "sharing_platform.deploy_test", "slot 42 is taken"),
        ("ERROR", "sharing_platform.deploy_test", "could not divide"),
    ]
    assert lines[0]["booking_id"] == 7
    assert lines[0]["ts"].endswith("+00:00")
    assert "ZeroDivisionError" in lines[1]["exc"]


def test_log_format_plain_is_text_and_unknown_formats_are_refused():
    code = "import django, logging\ndjango.setup()\nlogging.getLogger('x').warning('plain words')\n"
    plain = run_python(code, production_env(LOG_FORMAT="plain"))
    assert plain.returncode == 0, plain.stderr
    assert "WARNING x plain words" in plain.stdout

    unknown = run_python(code, production_env(LOG_FORMAT="xml"))
    assert unknown.returncode != 0
    assert "LOG_FORMAT must be one of" in unknown.stderr


def test_collectstatic_with_production_storage_builds_the_manifest(tmp_path):
    """What the image build runs: hashed, compressed static files and a manifest whitenoise serves."""
    result = run_manage("collectstatic", "--noinput", "-v0", env=production_env(STATIC_ROOT=str(tmp_path)))

    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text(encoding="utf-8"))
    hashed = manifest["paths"]["css/app.css"]
    assert hashed != "css/app.css"
    assert (tmp_path / hashed).is_file()
    assert (tmp_path / f"{hashed}.gz").is_file()
