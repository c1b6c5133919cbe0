"""The production processes of docker-compose.yml, started on this machine for the end-to-end scenario.

The commands and the environment come from docker-compose.yml itself (and the Dockerfile's ``ENV``),
so the scenario runs what a deployment runs and cannot drift from it. Only what a container gets
from its surroundings is replaced: the service host names ``db`` and ``redis`` point at the local
PostgreSQL (a fresh ``e2e_<random>`` database) and Redis (database 12), paths under ``/app`` at a
temporary folder, and gunicorn binds to 127.0.0.1 on a free port. The compose variables an operator
puts in ``.env`` (SECRET_KEY, ALLOWED_HOSTS, SECURE_SSL_REDIRECT...) are given as such.

As in compose, the one-off migrate service runs first as the owner of the tables (the local PostgreSQL
user stands in for POSTGRES_USER) and creates the application's role, ``e2e_app_<random>`` here (roles
are shared by the whole server); gunicorn, the worker and beat then connect only as that role, with
the name and password compose gives them. The role is dropped with the database.

Every wait is bounded; every process writes its output to a log file that is scanned at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis
from psycopg2 import sql

from tests.deploy.checks import (
    COMPOSE_FILE,
    DOCKERFILE,
    ROOT,
    dockerfile_instructions,
    instruction_words,
    load_compose,
    shell_steps,
)

PG_HOST = os.environ.get("E2E_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("E2E_PG_PORT", "5432"))
PG_USER = os.environ.get("E2E_PG_USER", "postgres")
PG_PASSWORD = os.environ.get("E2E_PG_PASSWORD", "")
REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/12")
DATABASE_PREFIX = "e2e_"
APP_ROLE_PREFIX = "e2e_app_"
BIN = Path(sys.executable).parent  # the virtualenv's gunicorn and celery sit next to its python

# What a log line must never say: errors, critical failures, tracebacks.
LOG_PROBLEM = re.compile(r"\bERROR\b|\bCRITICAL\b|Traceback")
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.25):
    """Call predicate until it returns something truthy; fail after timeout seconds, saying what we waited for."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = predicate()
        except Exception as error:
            value, last_error = None, error
        if value:
            return value
        if time.monotonic() >= deadline:
            suffix = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{suffix}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL and Redis ------------------------------------------------------------------------


def _pg_connect(dbname: str = "postgres"):
    connection = psycopg2.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, password=PG_PASSWORD or None, dbname=dbname, connect_timeout=5
    )
    connection.autocommit = True
    return connection


def database_create() -> str:
    name = f"{DATABASE_PREFIX}{secrets.token_hex(4)}"
    connection = _pg_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    return name


def database_drop(name: str) -> None:
    assert name.startswith(DATABASE_PREFIX), name  # never anything but our own scratch database
    connection = _pg_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        connection.close()


def role_drop(name: str) -> None:
    """Drop the deployment's application role (after its database: nothing else refers to it)."""
    assert name.startswith(APP_ROLE_PREFIX), name  # never anything but our own scratch role
    connection = _pg_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def database_users(name: str) -> set[str]:
    """The roles of the sessions open on database ``name`` (our own checks connect to another database)."""
    connection = _pg_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = %s", [name])
            return {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()


def database_url(name: str) -> str:
    password = f":{PG_PASSWORD}" if PG_PASSWORD else ""
    return f"postgres://{PG_USER}{password}@{PG_HOST}:{PG_PORT}/{name}"


def redis_flush() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


# --- docker-compose.yml --------------------------------------------------------------------------


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's substitution: ``${X}``, ``${X:-default}``, ``${X-default}``, ``${X:?message}``; ``$$`` is ``$``."""

    def replace(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        present = variables.get(name)
        if operator in {":-", ":?"} and not present:
            present = None
        if present is not None:
            return present
        if operator and operator.endswith("?"):
            raise AssertionError(f"docker-compose.yml requires {name}: {argument}")
        return argument if operator else ""

    return _INTERPOLATION.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


def service_command(service: str) -> list[list[str]]:
    """The simple commands a compose service runs, in order (``sh -c "a && b && exec c"`` gives [a, b, c])."""
    return shell_steps(load_compose()["services"][service]["command"])


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if keyword == "ENV":
            for word in instruction_words(arguments):
                name, _, value = word.partition("=")
                env[name] = value
    return env


@dataclass
class Surroundings:
    """What the containers would get from the machine: the local services, a scratch folder, .env values."""

    database_url: str
    redis_url: str
    workdir: Path
    compose_variables: dict[str, str]


def _local_url(value: str, surroundings: Surroundings, database_owner: str) -> str:
    """A URL naming a compose service host (db, redis) rewritten to the local service we use instead.

    The owner's URL becomes the local superuser's; any other role keeps its name and password from
    compose (the application's role, which the migrate service creates) on the local server."""
    parts = urlsplit(value)
    if parts.scheme.startswith("postgres") and parts.hostname == "db":
        if parts.username == database_owner:
            return surroundings.database_url
        local = urlsplit(surroundings.database_url)
        userinfo = parts.netloc.rpartition("@")[0]
        return urlunsplit((local.scheme, f"{userinfo}@{local.hostname}:{local.port}", local.path, "", ""))
    if parts.scheme in {"redis", "rediss"} and parts.hostname == "redis":
        local = urlsplit(surroundings.redis_url)
        return urlunsplit((local.scheme, local.netloc, local.path, parts.query, parts.fragment))
    return value


def service_environment(service: str, surroundings: Surroundings) -> dict[str, str]:
    """The environment docker compose would give the service's container, with local services and paths."""
    compose = load_compose()
    declared = compose["services"][service].get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) if "=" in item else (item, "") for item in declared)
    env = dockerfile_env()
    database_owner = interpolate(
        str(compose["services"]["db"]["environment"]["POSTGRES_USER"]), surroundings.compose_variables
    )
    for name, raw in declared.items():
        value = interpolate("" if raw is None else str(raw), surroundings.compose_variables)
        value = _local_url(value, surroundings, database_owner)
        if value.startswith("/app/"):
            value = str(surroundings.workdir / value.removeprefix("/app/"))
        env[name] = value
    return env


# --- processes -----------------------------------------------------------------------------------


def _executable(step: list[str]) -> list[str]:
    """``python``, ``gunicorn`` and ``celery`` from this virtualenv (a container has them on its PATH)."""
    head = step[0]
    if head in {"python", "python3"}:
        return [sys.executable, *step[1:]]
    if (BIN / head).exists():
        return [str(BIN / head), *step[1:]]
    return step


def with_option(step: list[str], option: str, value: str) -> list[str]:
    """The command with ``option``'s value replaced (``--bind 0.0.0.0:8000`` -> ``--bind 127.0.0.1:N``)."""
    words = list(step)
    for index, word in enumerate(words):
        if word == option and index + 1 < len(words):
            words[index + 1] = value
            return words
        if word.startswith(option + "="):
            words[index] = f"{option}={value}"
            return words
    return [*words, option, value]


@dataclass
class Process:
    name: str
    command: list[str]
    log: Path
    popen: subprocess.Popen
    stopped_cleanly: bool | None = None
    returncode: int | None = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """SIGTERM to the main process: gunicorn and Celery shut down warm (running work finishes)."""
        if self.returncode is None and self.stopped_cleanly is None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)  # once: a second SIGTERM may turn warm shutdown cold
            self.stopped_cleanly = False  # until it exits within the grace period

    def stop(self, *, timeout: float = 20) -> None:
        """SIGTERM (if not sent yet), a bounded wait, then SIGKILL to whatever is left of its process group."""
        if self.returncode is not None:
            return
        if self.popen.poll() is None:
            self.terminate()
            try:
                self.popen.wait(timeout=timeout)
                self.stopped_cleanly = True
            except subprocess.TimeoutExpired:
                self.stopped_cleanly = False
        elif self.stopped_cleanly is False:
            self.stopped_cleanly = True  # it exited after our SIGTERM
        with_group_killed(self.popen.pid)
        if self.popen.poll() is None:
            self.popen.wait(timeout=10)
        self.returncode = self.popen.returncode


def with_group_killed(pgid: int) -> None:
    """SIGKILL whatever is left in the process group we created (pool children, gunicorn workers)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run(name: str, step: list[str], env: dict[str, str], logs: Path, *, timeout: float) -> str:
    """Run a one-off command (migrate, collectstatic, createsuperuser, celery call) to completion, bounded."""
    log = logs / f"{name}.log"
    command = _executable(step)
    try:
        completed = subprocess.run(  # noqa: S603 - commands read from our own compose file
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        partial = f"{error.stdout or ''}{error.stderr or ''}"
        log.write_text(f"$ {shlex.join(command)}\n(timed out after {timeout}s)\n{partial}", encoding="utf-8")
        raise AssertionError(f"{name}: timed out after {timeout}s: {shlex.join(command)}") from None
    output = completed.stdout + completed.stderr
    log.write_text(f"$ {shlex.join(command)}\n{output}", encoding="utf-8")
    if completed.returncode != 0:
        raise AssertionError(f"{name} exited {completed.returncode}: {shlex.join(command)}\n{output[-4000:]}")
    return output


def _step_name(step: list[str]) -> str:
    return step[2] if step[:2] == ["python", "manage.py"] else step[0]


def start(name: str, step: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    command = _executable(step)
    handle = log.open("wb")
    popen = subprocess.Popen(  # noqa: S603 - commands read from our own compose file
        command,
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the teardown ends exactly what we started
    )
    handle.close()
    return Process(name=name, command=command, log=log, popen=popen)


def log_problems(process: Process) -> list[str]:
    """Lines of a process's log that report an error (JSON lines keep a traceback inside one line)."""
    return [f"{process.name}: {line}" for line in process.output().splitlines() if LOG_PROBLEM.search(line)]


def http_json(url: str, *, timeout: float = 5) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - http to ourselves
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"{}")
        except ValueError:
            return error.code, {"raw": body.decode(errors="replace")[:500]}


# --- the whole deployment ------------------------------------------------------------------------


@dataclass
class Deployment:
    """gunicorn, a Celery worker and Celery beat as docker-compose.yml runs them, on a fresh database."""

    workdir: Path
    database: str = ""
    base_url: str = ""
    admin_username: str = "e2e-admin"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    app_role: str = field(default_factory=lambda: f"{APP_ROLE_PREFIX}{secrets.token_hex(4)}")
    app_role_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    report: Callable[[str], None] = print  # where progress goes (the fixture passes pytest's terminal)
    processes: list[Process] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    _stopped: bool = False

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def env(self, service: str) -> dict[str, str]:
        surroundings = Surroundings(
            database_url=database_url(self.database),
            redis_url=REDIS_URL,
            workdir=self.workdir / "app",
            compose_variables={
                # What an operator writes in .env (see .env.example); the rest keep their compose defaults.
                "SECRET_KEY": self.secret_key,
                "POSTGRES_PASSWORD": PG_PASSWORD or "unused-here",  # only inside the owner's URL we replace
                "POSTGRES_APP_USER": self.app_role,
                "POSTGRES_APP_PASSWORD": self.app_role_password,
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "false",  # no TLS proxy in front of gunicorn here
                "WEB_CONCURRENCY": "2",
            },
        )
        env = service_environment(service, surroundings)
        env.update(
            {
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
                "HOME": os.environ.get("HOME", str(self.workdir)),
                "LANG": "C.UTF-8",
                # The image keeps collected static files in /app/staticfiles (built in the Dockerfile).
                "STATIC_ROOT": str(self.workdir / "app" / "staticfiles"),
                "DJANGO_SUPERUSER_USERNAME": self.admin_username,
                "DJANGO_SUPERUSER_EMAIL": f"{self.admin_username}@example.org",
                "DJANGO_SUPERUSER_PASSWORD": self.admin_password,
            }
        )
        return env

    def start(self) -> None:
        began = time.monotonic()
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.workdir / "app" / "media").mkdir(parents=True, exist_ok=True)
        self.database = database_create()
        redis_flush()
        migrate_env = self.env("migrate")
        assert migrate_env["DATABASE_URL"] == database_url(self.database), "migrate must run as the owner"
        for index, step in enumerate(service_command("migrate")):  # migrate, db_app_role: as the owner
            run(f"migrate-step{index + 1}-{_step_name(step)}", step, migrate_env, self.logs, timeout=180)
        web_env = self.env("web")
        assert f"//{self.app_role}:" in web_env["DATABASE_URL"], "web must connect as the application's role"
        *before_serving, server = service_command("web")
        for index, step in enumerate(before_serving):  # collectstatic: run before it serves
            run(f"web-step{index + 1}-{_step_name(step)}", step, web_env, self.logs, timeout=120)
        run("createsuperuser", ["python", "manage.py", "createsuperuser", "--noinput"], web_env, self.logs, timeout=60)
        self.timings["prepare"] = time.monotonic() - began

        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        assert server[0] == "gunicorn", f"the web service no longer ends with gunicorn: {server}"
        self.processes.append(start("gunicorn", with_option(server, "--bind", f"127.0.0.1:{port}"), web_env, self.logs))
        for service in ("worker", "beat"):
            (step,) = service_command(service)
            self.processes.append(start(f"celery-{service}", step, self.env(service), self.logs))

        wait_for(self._healthy, timeout=60, what=f"{self.base_url}/healthz to answer 200 with the broker ok")
        self.timings["healthz"] = time.monotonic() - began
        wait_for(self._worker_answers, timeout=60, interval=0.5, what="the Celery worker to answer a ping")
        self.timings["worker"] = time.monotonic() - began
        wait_for(self._beat_started, timeout=30, what="Celery beat to start its scheduler")
        self.timings["beat"] = time.monotonic() - began

    def _all_alive(self) -> None:
        for process in self.processes:
            if not process.alive():
                raise AssertionError(
                    f"{process.name} exited {process.popen.returncode} while starting:\n{process.output()[-4000:]}"
                )

    def _healthy(self) -> bool:
        self._all_alive()
        status, body = http_json(f"{self.base_url}/healthz", timeout=3)
        return status == 200 and body.get("checks", {}).get("broker") == "ok"

    def _worker_answers(self) -> bool:
        self._all_alive()
        completed = subprocess.run(  # noqa: S603 - fixed command
            [str(BIN / "celery"), "-A", "sharing_platform", "inspect", "ping", "--timeout", "2"],
            cwd=ROOT, env=self.env("worker"), capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        return completed.returncode == 0 and "pong" in completed.stdout

    def _beat_started(self) -> bool:
        self._all_alive()
        beat = self.process("celery-beat")
        return "beat: Starting" in beat.output() or "Scheduler: Sending" in beat.output()

    def process(self, name: str) -> Process:
        return next(process for process in self.processes if process.name == name)

    def celery_call(self, task: str) -> str:
        """Send a task through the broker, as beat would (``celery call``), and return its id."""
        output = run(
            f"celery-call-{task.rsplit('.', 1)[-1]}",
            ["celery", "-A", "sharing_platform", "call", task],
            self.env("worker"),
            self.logs,
            timeout=60,
        )
        return output.strip().splitlines()[-1]

    def died_early(self) -> list[str]:
        """Processes that are no longer running although nobody stopped them."""
        return [
            f"{process.name} exited {process.popen.returncode} before the end of the scenario"
            for process in self.processes
            if process.returncode is None and not process.alive()
        ]

    def stop(self) -> list[str]:
        """Stop everything (web first, beat, then the worker); return what went wrong, in words."""
        if self._stopped:
            return []
        self._stopped = True
        problems = self.died_early()
        order = [p for name in ("gunicorn", "celery-beat", "celery-worker") for p in self.processes if p.name == name]
        for process in order:  # all shut down at once (web first), each within its own bounded wait
            process.terminate()
        for process in order:
            process.stop()
            if process.stopped_cleanly is False:
                problems.append(f"{process.name} did not stop within the grace period after SIGTERM (killed)")
            elif process.returncode != 0:
                problems.append(f"{process.name} exited {process.returncode} after SIGTERM")
        for process in self.processes:
            problems.extend(log_problems(process))
        return problems

    def database_users(self) -> set[str]:
        """The roles connected to the deployment's database right now."""
        return database_users(self.database)

    def as_app_role(self, statements: list[str]) -> dict[str, str]:
        """Run each statement as the application's role (web's DATABASE_URL), each in a transaction rolled
        back afterwards; the error each one met ("" when it ran)."""
        outcomes = {}
        connection = psycopg2.connect(self.env("web")["DATABASE_URL"], connect_timeout=5)
        try:
            for statement in statements:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(statement)
                    outcomes[statement] = ""
                except psycopg2.Error as error:
                    outcomes[statement] = str(error).strip()
                finally:
                    connection.rollback()
        finally:
            connection.close()
        return outcomes

    def drop(self) -> None:
        if self.database:
            database_drop(self.database)
            self.database = ""
        role_drop(self.app_role)
        redis_flush()


__all__ = ["COMPOSE_FILE", "Deployment", "http_json", "wait_for"]
