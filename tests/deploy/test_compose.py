"""docker-compose.yml, the Dockerfile and .env.example name things that exist (they cannot rot silently)."""

import copy
import os
import re
import shlex
import subprocess
import sys

import pytest

from .checks import (
    DOCKERFILE,
    ENV_EXAMPLE,
    ROOT,
    compose_problems,
    copy_build_context,
    dockerfile_problems,
    dockerfile_project_steps,
    dockerignore_patterns,
    env_example_names,
    env_names_read,
    load_compose,
    module_exists,
)


@pytest.fixture
def compose():
    return load_compose()


@pytest.fixture
def dockerfile_text():
    return DOCKERFILE.read_text(encoding="utf-8")


def test_compose_every_command_refers_to_things_that_exist(compose):
    assert compose_problems(compose) == []


def test_compose_names_the_expected_topology(compose):
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "pgdata" in compose["volumes"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "sharing_platform", "worker"]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_dockerfile_refers_to_files_that_exist(dockerfile_text):
    assert dockerfile_problems(dockerfile_text, dockerignore_patterns()) == []


def test_env_example_lists_every_setting_read_from_the_environment():
    read = env_names_read()
    # The reader itself must find the settings (an empty set would make every check vacuous).
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "WEB_CONCURRENCY"} <= read
    assert sorted(read - env_example_names()) == []


def test_env_example_lists_only_settings_something_reads(compose):
    from .checks import interpolated_names

    known = env_names_read() | interpolated_names(compose)
    assert sorted(env_example_names() - known) == []
    assert ENV_EXAMPLE.is_file()


@pytest.mark.parametrize("path", ["manage.py", "sharing_platform/wsgi.py", "sharing_platform/celery.py", "Dockerfile"])
def test_entry_points_name_an_importable_settings_module(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    modules = re.findall(r"DJANGO_SETTINGS_MODULE[\"']?\s*[,=]\s*[\"']?([\w.]+)", text)
    assert modules, f"{path} does not name DJANGO_SETTINGS_MODULE"
    for module in modules:
        assert module == "sharing_platform.settings"
        assert module_exists(module)


# --- The checks fail when the files go wrong -------------------------------------------------


def web_command(compose) -> str:
    return compose["services"]["web"]["command"][2]


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (
            lambda c: c["services"]["web"]["command"].__setitem__(
                2, web_command(c).replace("sharing_platform.wsgi:", "sharing_platform.wsgi_renamed:")
            ),
            "gunicorn WSGI target 'sharing_platform.wsgi_renamed:application' cannot be imported",
        ),
        (
            lambda c: c["services"]["web"]["command"].__setitem__(
                2, web_command(c).replace(":application", ":app_missing")
            ),
            "gunicorn WSGI target 'sharing_platform.wsgi:app_missing' cannot be imported",
        ),
        (
            lambda c: c["services"]["web"]["command"].__setitem__(2, "python manage.py migrate && " + web_command(c)),
            "service 'web' runs migrations; only migrate (the owner) may",
        ),
        (
            lambda c: c["services"]["migrate"]["command"].__setitem__(2, "python manage.py migrate --noinput"),
            "migrate must run migrate then db_app_role",
        ),
        (
            lambda c: c["services"]["migrate"]["command"].__setitem__(
                2, "python manage.py migrate && python manage.py db_app_rol"
            ),
            "manage.py has no command 'db_app_rol'",
        ),
        (
            lambda c: c["services"]["web"]["environment"].__setitem__(
                "DATABASE_URL", c["services"]["migrate"]["environment"]["DATABASE_URL"]
            ),
            "service 'web' connects as the table owner; it must use the application's role",
        ),
        (
            lambda c: c["services"]["migrate"]["environment"].__setitem__(
                "DATABASE_URL", c["services"]["web"]["environment"]["DATABASE_URL"]
            ),
            "migrate must connect as the owner (POSTGRES_USER, POSTGRES_PASSWORD)",
        ),
        (
            lambda c: c["services"]["migrate"]["environment"].pop("DATABASE_APP_URL"),
            "migrate does not set DATABASE_APP_URL",
        ),
        (
            lambda c: c["services"]["worker"]["depends_on"].pop("migrate"),
            "service 'worker' does not wait for migrate to complete successfully",
        ),
        (
            lambda c: c["services"]["migrate"].__setitem__("restart", "unless-stopped"),
            "migrate runs once",
        ),
        (
            lambda c: c["services"]["web"]["command"].__setitem__(
                2, web_command(c).replace("gunicorn.conf.py", "gone.py")
            ),
            "gunicorn config 'gone.py' does not exist",
        ),
        (
            lambda c: c["services"]["worker"].__setitem__("command", ["celery", "-A", "sharing_platfrom", "worker"]),
            "celery app 'sharing_platfrom' cannot be found",
        ),
        (
            lambda c: c["services"]["beat"]["command"].__setitem__(
                -1, "django_celery_beat.schedulers:DatabaseSchedular"
            ),
            "beat scheduler 'django_celery_beat.schedulers:DatabaseSchedular' cannot be imported",
        ),
        (
            lambda c: c["services"]["beat"]["command"].__setitem__(-1, "django_celery_beat.models:PeriodicTask"),
            "is not a celery.beat.Scheduler",
        ),
        (
            lambda c: c["services"]["beat"]["deploy"].__setitem__("replicas", 2),
            "beat must run exactly one replica",
        ),
        (
            lambda c: c["services"]["worker"]["environment"].__setitem__("REDIS_HOST", "redis"),
            "service 'worker' sets REDIS_HOST, which the settings never read",
        ),
        (
            lambda c: c["services"]["web"]["environment"].__setitem__("DEBUG", "true"),
            "service 'web' must run with DEBUG=false",
        ),
        (
            lambda c: c["services"]["web"]["environment"].__setitem__("SECRET_KEY", "${UNDOCUMENTED_SECRET}"),
            ".env.example does not list ['UNDOCUMENTED_SECRET']",
        ),
        (
            lambda c: c["services"]["db"].__setitem__("volumes", ["pgdata_renamed:/var/lib/postgresql/data"]),
            "service 'db' mounts volume 'pgdata_renamed' that is not declared",
        ),
        (
            lambda c: c["services"]["web"]["depends_on"].pop("db"),
            "web does not wait for a healthy db and redis",
        ),
        (
            lambda c: c["services"]["web"]["healthcheck"]["test"].__setitem__(
                -1, c["services"]["web"]["healthcheck"]["test"][-1].replace("/healthz", "/health-check")
            ),
            "web healthcheck calls /health-check, which no URL serves",
        ),
        (lambda c: c["services"].pop("beat"), "service 'beat' is missing"),
    ],
)
def test_compose_problems_name_what_is_broken(compose, break_it, expected):
    broken = copy.deepcopy(compose)
    break_it(broken)

    problems = compose_problems(broken)

    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("COPY pyproject.toml README.md ./", "COPY pyproject.toml README.rst ./", "COPY README.rst: no such file"),
        ("FROM python:3.11-slim", "FROM python:3.12", "must start FROM python:3.11-slim"),
        ("USER app", "USER root", "non-root USER"),
        ("sharing_platform.wsgi:application", "sharing_platform.wsgi2:application", "cannot be imported"),
        ("DJANGO_SETTINGS_MODULE=sharing_platform.settings", "DJANGO_SETTINGS_MODULE=sharing_platform.prod", "prod"),
    ],
)
def test_dockerfile_problems_name_what_is_broken(dockerfile_text, old, new, expected):
    assert old in dockerfile_text
    problems = dockerfile_problems(dockerfile_text.replace(old, new), dockerignore_patterns())

    assert any(expected in problem for problem in problems), problems


def test_dockerfile_problems_when_dockerignore_drops_what_the_image_needs(dockerfile_text):
    problems = dockerfile_problems(dockerfile_text, [*dockerignore_patterns(), "templates", "*.toml"])

    assert any("COPY pyproject.toml: excluded by .dockerignore" in problem for problem in problems), problems
    assert any("templates/base.html, but .dockerignore excludes it" in problem for problem in problems), problems


def test_dockerfile_project_build_steps_run_on_the_build_context(tmp_path, dockerfile_text):
    """Replays the image's project steps (compile translations, collect static files with the
    production storage) on a copy of exactly what `docker build` would send."""
    steps = dockerfile_project_steps(dockerfile_text)
    commands = [words[2] for _, words in steps if words[0] == "python"]
    assert commands == ["compilemessages", "collectstatic"]
    context = tmp_path / "app"
    copy_build_context(context, dockerignore_patterns())
    assert not (context / "tests").exists()
    assert not (context / ".venv").exists()
    clean_env = {key: value for key, value in os.environ.items() if key not in env_names_read()}

    for step_env, words in steps:
        if words[0] == "mkdir":
            (context / words[2]).mkdir(parents=True, exist_ok=True)
            continue
        result = subprocess.run(  # noqa: S603 - this interpreter, arguments from our Dockerfile
            [sys.executable, *words[1:]],
            cwd=context,
            env={**clean_env, **step_env},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, f"{shlex.join(words)}:\n{result.stdout}\n{result.stderr}"

    assert (context / "staticfiles" / "staticfiles.json").is_file()
