"""Checks that the deployment files refer to things that exist, so they cannot rot silently.

Each ``*_problems`` function takes the parsed file and returns a list of problems in words (empty
when all is well); the tests assert the list is empty for the real files and name the problem for
broken copies.
"""

import ast
import contextlib
import fnmatch
import importlib
import importlib.util
import json
import os
import re
import runpy
import shlex
import shutil
import types
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
# The modules that read the environment: Django settings, and gunicorn's configuration file.
ENV_READERS = (ROOT / "sharing_platform" / "settings.py", ROOT / "gunicorn.conf.py")
APP_SERVICES = ("web", "worker", "beat")
# The one-off service that migrates as the table owner, then grants the application's role (db_app_role).
MIGRATE_SERVICE = "migrate"
MIGRATE_STEPS = ("migrate", "db_app_role")
OWNER_VARIABLES = ("${POSTGRES_USER", "${POSTGRES_PASSWORD")
# What the image needs at run time: it must be copied, not excluded by .dockerignore.
IMAGE_NEEDS = (
    "manage.py",
    "gunicorn.conf.py",
    "pyproject.toml",
    "README.md",
    "sharing_platform/settings.py",
    "sharing_platform/wsgi.py",
    "sharing_platform/celery.py",
    "templates/base.html",
    "static/css/app.css",
    "locale",
)

_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def load_compose(path: Path = COMPOSE_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def env_names_read(paths=ENV_READERS) -> set[str]:
    """Environment variable names read by ``os.environ.get/[]``, ``os.getenv`` or ``env_*`` helpers."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = None
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = ast.unparse(node.func)
                if func in {"os.environ.get", "os.getenv", "os.environ.setdefault"} or func.startswith("env_"):
                    key = node.args[0].value
            elif (
                isinstance(node, ast.Subscript)
                and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)
            ):
                key = node.slice.value
            if isinstance(key, str) and _ENV_NAME.match(key):
                names.add(key)
    return names


def env_example_names(path: Path = ENV_EXAMPLE) -> set[str]:
    """Names in .env.example, set (``NAME=``) or shown with their default (``# NAME=``)."""
    pattern = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
    return set(pattern.findall(path.read_text(encoding="utf-8")))


def interpolated_names(compose: dict) -> set[str]:
    """Variables docker compose substitutes (``${NAME}``, ``${NAME:-default}``...); ``$$`` is a literal."""
    return set(_INTERPOLATION.findall(json.dumps(compose)))


def command_words(command) -> list[str]:
    if command is None:
        return []
    return list(command) if isinstance(command, list) else shlex.split(command)


def shell_steps(command) -> list[list[str]]:
    """A command as the list of simple commands it runs (``sh -c "a && b"`` gives [a, b])."""
    words = command_words(command)
    if len(words) >= 3 and words[0] in {"sh", "bash", "/bin/sh", "/bin/bash"} and words[1] == "-c":
        script = words[2]
    else:
        script = shlex.join(words)
    steps = []
    for part in re.split(r"&&|;|\n", script):
        step = shlex.split(part)
        if step and step[0] == "exec":
            step = step[1:]
        if step:
            steps.append(step)
    return steps


def option_value(words: list[str], *names: str) -> str | None:
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                return words[index + 1]
            if name.startswith("--") and word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def import_attribute(dotted: str) -> object:
    """``module:attribute`` (or ``module.attribute``) to the object, raising if either is missing."""
    module_name, _, attribute = dotted.partition(":") if ":" in dotted else dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def module_exists(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except ModuleNotFoundError:  # a missing parent package
        return False


def manage_py_problems(step: list[str]) -> list[str]:
    from django.core.management import get_commands

    if step[:2] != ["python", "manage.py"] or len(step) < 3:
        return [f"not a manage.py command: {shlex.join(step)}"]
    problems = [] if (ROOT / "manage.py").is_file() else ["manage.py does not exist"]
    if step[2] not in get_commands():
        problems.append(f"manage.py has no command {step[2]!r}")
    return problems


def gunicorn_problems(step: list[str]) -> list[str]:
    from gunicorn.config import KNOWN_SETTINGS

    problems = []
    targets = [word for word in step[1:] if ":" in word and not word.startswith("-") and "." in word.split(":")[0]]
    if not targets:
        return [f"gunicorn command names no WSGI application: {shlex.join(step)}"]
    try:
        application = import_attribute(targets[0])
    except (ImportError, AttributeError) as exc:
        problems.append(f"gunicorn WSGI target {targets[0]!r} cannot be imported: {exc}")
    else:
        if not callable(application):
            problems.append(f"gunicorn WSGI target {targets[0]!r} is not callable")
    bind = option_value(step, "--bind", "-b")
    if bind != "0.0.0.0:8000":
        problems.append(f"gunicorn must bind 0.0.0.0:8000 in the container, not {bind!r}")
    config = option_value(step, "--config", "-c")
    if config:
        config_path = ROOT / config
        if not config_path.is_file():
            problems.append(f"gunicorn config {config!r} does not exist")
        else:
            known = {setting.name for setting in KNOWN_SETTINGS}
            values = runpy.run_path(str(config_path))
            unknown = sorted(
                name
                for name, value in values.items()
                if not name.startswith("_")
                and name not in known
                and not callable(value)
                and not isinstance(value, types.ModuleType)
            )
            if unknown:
                problems.append(f"gunicorn config {config!r} sets unknown settings: {unknown}")
            for formatter in values.get("logconfig_dict", {}).get("formatters", {}).values():
                if "()" in formatter:
                    try:
                        import_attribute(formatter["()"])
                    except (ImportError, AttributeError) as exc:
                        problems.append(f"gunicorn log formatter {formatter['()']!r} cannot be imported: {exc}")
    return problems


def celery_problems(step: list[str], subcommand: str) -> list[str]:
    from celery import Celery
    from celery.app.utils import find_app
    from celery.beat import Scheduler

    if step[0] != "celery":
        return [f"not a celery command: {shlex.join(step)}"]
    problems = []
    app_name = option_value(step, "-A", "--app")
    if not app_name:
        problems.append("celery command names no app (-A)")
    else:
        try:
            app = find_app(app_name)
        except (ImportError, AttributeError) as exc:
            problems.append(f"celery app {app_name!r} cannot be found: {exc}")
        else:
            if not isinstance(app, Celery):
                problems.append(f"celery -A {app_name!r} is not a Celery application")
    if subcommand not in step:
        problems.append(f"celery command does not run {subcommand!r}: {shlex.join(step)}")
    if subcommand == "beat":
        scheduler = option_value(step, "--scheduler", "-S")
        if not scheduler:
            problems.append("celery beat names no --scheduler (the database scheduler is required)")
        else:
            try:
                scheduler_class = import_attribute(scheduler)
            except (ImportError, AttributeError) as exc:
                problems.append(f"beat scheduler {scheduler!r} cannot be imported: {exc}")
            else:
                if not (isinstance(scheduler_class, type) and issubclass(scheduler_class, Scheduler)):
                    problems.append(f"beat scheduler {scheduler!r} is not a celery.beat.Scheduler")
    return problems


def healthy_dependencies(service: dict) -> set[str]:
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return set()
    return {name for name, rule in depends_on.items() if (rule or {}).get("condition") == "service_healthy"}


def named_volume_mounts(service: dict) -> set[str]:
    names = set()
    for mount in service.get("volumes") or []:
        source = mount.get("source", "") if isinstance(mount, dict) else mount.split(":", 1)[0]
        if source and not source.startswith((".", "/", "~")):
            names.add(source)
    return names


def completed_dependencies(service: dict) -> set[str]:
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return set()
    return {
        name for name, rule in depends_on.items() if (rule or {}).get("condition") == "service_completed_successfully"
    }


def service_environment_declared(service: dict) -> dict:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return environment


def migrate_problems(services: dict) -> list[str]:
    """The owner migrates and grants; the app services connect only as the role it grants, after it."""
    migrate = services[MIGRATE_SERVICE]
    problems = []
    steps = shell_steps(migrate.get("command"))
    commands = [step[2] for step in steps if step[:2] == ["python", "manage.py"] and len(step) > 2]
    if commands[: len(MIGRATE_STEPS)] != list(MIGRATE_STEPS):
        problems.append(f"migrate must run {' then '.join(MIGRATE_STEPS)} (manage.py), not {commands}")
    for step in steps:
        if step[0] == "python":
            problems.extend(manage_py_problems(step))
    if str(migrate.get("restart", "")) != "no":
        problems.append('migrate runs once: it needs restart: "no"')
    if "db" not in healthy_dependencies(migrate):
        problems.append("migrate does not wait for a healthy db")
    environment = service_environment_declared(migrate)
    owner_url = str(environment.get("DATABASE_URL", ""))
    if not all(variable in owner_url for variable in OWNER_VARIABLES):
        problems.append("migrate must connect as the owner (POSTGRES_USER, POSTGRES_PASSWORD)")
    app_url = str(environment.get("DATABASE_APP_URL", ""))
    if not app_url:
        problems.append("migrate does not set DATABASE_APP_URL (the role db_app_role grants)")
    for name in APP_SERVICES:
        service = services[name]
        url = str(service_environment_declared(service).get("DATABASE_URL", ""))
        if any(variable in url for variable in OWNER_VARIABLES):
            problems.append(f"service {name!r} connects as the table owner; it must use the application's role")
        elif app_url and url != app_url:
            problems.append(f"service {name!r} connects with a DATABASE_URL other than migrate's DATABASE_APP_URL")
        if MIGRATE_SERVICE not in completed_dependencies(service):
            problems.append(f"service {name!r} does not wait for migrate to complete successfully")
        managed = [step[2:3] for step in shell_steps(service.get("command")) if step[:2] == ["python", "manage.py"]]
        if ["migrate"] in managed:
            problems.append(f"service {name!r} runs migrations; only migrate (the owner) may")
    return problems


def compose_problems(compose: dict) -> list[str]:
    from django.urls import Resolver404, resolve

    services = compose.get("services") or {}
    problems = [
        f"service {name!r} is missing"
        for name in ("db", "redis", MIGRATE_SERVICE, *APP_SERVICES)
        if name not in services
    ]
    if problems:
        return problems
    declared_volumes = set((compose.get("volumes") or {}).keys())
    problems.extend(
        f"service {name!r} mounts volume {volume!r} that is not declared"
        for name, service in services.items()
        for volume in named_volume_mounts(service)
        if volume not in declared_volumes
    )

    db, redis = services["db"], services["redis"]
    if not str(db.get("image", "")).startswith("postgres:16"):
        problems.append(f"db must run postgres:16, not {db.get('image')!r}")
    if not named_volume_mounts(db):
        problems.append("db keeps its data in no named volume")
    if not str(redis.get("image", "")).startswith("redis:7"):
        problems.append(f"redis must run redis:7, not {redis.get('image')!r}")
    problems.extend(
        f"service {name!r} has no healthcheck"
        for name in ("db", "redis", "web")
        if not (services[name].get("healthcheck") or {}).get("test")
    )

    env_read = env_names_read()
    for name in (MIGRATE_SERVICE, *APP_SERVICES):
        service = services[name]
        build = service.get("build")
        context = build if isinstance(build, str) else (build or {}).get("context")
        dockerfile = "Dockerfile" if isinstance(build, str) else (build or {}).get("dockerfile", "Dockerfile")
        if not context:
            problems.append(f"service {name!r} is not built from the Dockerfile")
        elif not (ROOT / context / dockerfile).is_file():
            problems.append(f"service {name!r} builds {context}/{dockerfile}, which does not exist")
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
        problems.extend(
            f"service {name!r} sets {key}, which the settings never read" for key in sorted(set(environment) - env_read)
        )
        problems.extend(
            f"service {name!r} does not set {key}"
            for key in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS")
            if key not in environment
        )
        if str(environment.get("DEBUG", "")).lower() != "false":
            problems.append(f"service {name!r} must run with DEBUG=false")
        if name != MIGRATE_SERVICE and "redis" not in healthy_dependencies(service):
            problems.append(f"service {name!r} does not wait for a healthy redis")
    problems.extend(migrate_problems(services))

    web_steps = shell_steps(services["web"].get("command"))
    programs = [step[0] for step in web_steps]
    if "gunicorn" not in programs:
        problems.append("web does not run gunicorn")
    else:
        gunicorn_at = programs.index("gunicorn")
        for step in web_steps:
            if step[0] == "python":
                problems.extend(manage_py_problems(step))
        problems.extend(gunicorn_problems(web_steps[gunicorn_at]))
    if not {"db", "redis"} <= healthy_dependencies(services["web"]):
        problems.append("web does not wait for a healthy db and redis")
    web_check = " ".join(command_words(services["web"].get("healthcheck", {}).get("test")))
    for path in re.findall(r"https?://[^/\s'\"]+(/[^\s'\"]*)", web_check):
        try:
            resolve(path)
        except Resolver404:
            problems.append(f"web healthcheck calls {path}, which no URL serves")

    worker_steps = shell_steps(services["worker"].get("command"))
    problems.extend(celery_problems(worker_steps[-1], "worker") if worker_steps else ["worker has no command"])
    if services["worker"].get("container_name") or services["worker"].get("ports"):
        problems.append("worker cannot be scaled (it has a container_name or host ports)")

    beat = services["beat"]
    beat_steps = shell_steps(beat.get("command"))
    problems.extend(celery_problems(beat_steps[-1], "beat") if beat_steps else ["beat has no command"])
    if (beat.get("deploy") or {}).get("replicas") != 1:
        problems.append("beat must run exactly one replica (deploy.replicas: 1)")

    missing = sorted(interpolated_names(compose) - env_example_names())
    if missing:
        problems.append(f".env.example does not list {missing}, which docker-compose.yml substitutes")
    return problems


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and not pending):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def instruction_words(arguments: str) -> list[str]:
    if arguments.startswith("["):
        return json.loads(arguments)
    return shlex.split(arguments)


def dockerignore_patterns(path: Path = DOCKERIGNORE) -> list[str]:
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line.rstrip("/") for line in lines if line and not line.startswith("#")]


def is_ignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``relative`` (or a folder above it) out of the build context."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("!"):
            continue
        bare = pattern.removeprefix("**/")
        for candidate in candidates:
            if fnmatch.fnmatch(candidate, pattern) or fnmatch.fnmatch(candidate.rsplit("/", 1)[-1], bare):
                return True
    return False


def dockerfile_problems(text: str, ignore_patterns: list[str]) -> list[str]:
    problems = []
    instructions = dockerfile_instructions(text)
    base_images = [arguments.split()[0] for keyword, arguments in instructions if keyword == "FROM"]
    if base_images[:1] != ["python:3.11-slim"]:
        problems.append(f"the image must start FROM python:3.11-slim, not {base_images[:1]}")
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    if "gettext" not in runs or "compilemessages" not in runs:
        problems.append("the image must install gettext and compile the translations")
    if "pyproject.toml" not in runs or "pip install" not in runs:
        problems.append("the image must pip install the project from pyproject.toml")
    users = [arguments.split()[0] for keyword, arguments in instructions if keyword == "USER"]
    if not users or users[-1] in {"root", "0"}:
        problems.append("the image must run as a non-root USER")
    for keyword, arguments in instructions:
        if keyword not in {"COPY", "ADD"}:
            continue
        words = [word for word in instruction_words(arguments) if not word.startswith("--")]
        for source in words[:-1]:
            if source in {".", "./"}:
                continue
            if not any(ROOT.glob(source)):
                problems.append(f"{keyword} {source}: no such file")
            elif is_ignored(source, ignore_patterns):
                problems.append(f"{keyword} {source}: excluded by .dockerignore")
        if words[:1] == ["."] or words[:1] == ["./"]:
            for needed in IMAGE_NEEDS:
                if not (ROOT / needed).exists():
                    problems.append(f"the image needs {needed}, which does not exist")
                elif is_ignored(needed, ignore_patterns):
                    problems.append(f"the image needs {needed}, but .dockerignore excludes it")
    problems.extend(
        f"DJANGO_SETTINGS_MODULE={module} cannot be imported"
        for module in re.findall(r"DJANGO_SETTINGS_MODULE=(\S+)", text)
        if not module_exists(module)
    )
    commands = [instruction_words(arguments) for keyword, arguments in instructions if keyword == "CMD"]
    if not commands:
        problems.append("the image has no CMD")
    elif commands[-1][:1] == ["gunicorn"]:
        problems.extend(gunicorn_problems(commands[-1]))
    return problems


def copy_build_context(destination: Path, patterns: list[str]) -> None:
    """Copy what ``docker build`` would send (the tree minus .dockerignore) to ``destination``."""
    for folder, subfolders, files in os.walk(ROOT):
        base = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if base == "." else f"{base}/"
        subfolders[:] = [name for name in subfolders if not is_ignored(prefix + name, patterns)]
        for name in files:
            relative = prefix + name
            if not is_ignored(relative, patterns):
                target = destination / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileNotFoundError):  # removed while we walk (an editor's temp file)
                    shutil.copy2(ROOT / relative, target)


def dockerfile_project_steps(text: str) -> list[tuple[dict[str, str], list[str]]]:
    """The build steps that run the project once it is copied in (``python manage.py ...``, ``mkdir``),
    as (extra environment, argv) pairs, in order; package installs and ownership changes are left out."""
    steps, copied = [], False
    for keyword, arguments in dockerfile_instructions(text):
        if keyword == "COPY" and instruction_words(arguments)[:1] in (["."], ["./"]):
            copied = True
        if keyword != "RUN" or not copied:
            continue
        for part in arguments.split("&&"):
            words = shlex.split(part)
            env = {}
            while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                key, _, value = words.pop(0).partition("=")
                env[key] = value
            if words[:2] == ["python", "manage.py"] or (words[:2] == ["mkdir", "-p"] and not words[2].startswith("/")):
                steps.append((env, words))
    return steps
