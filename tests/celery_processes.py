"""Real Celery workers and a private Redis broker for tests (not eager mode); shared by the worker tests.

A worker is a subprocess with DATABASE_URL pointing at the database pytest created, so only
transactional tests can share data with it. ``RedisServer`` is a redis-server of the test's own on a
free port, which a test may stop and start again (never the shared one on 6379).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu.pools
import redis
from django.db import connection

from sharing_platform.celery import app

ROOT = Path(__file__).resolve().parents[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def pools_reset() -> None:
    """Drop the app's broker connection pools so the next send connects to the broker now configured."""
    kombu.pools.reset()  # kombu keeps process-wide pools per broker URL: close and forget them
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_configured(url: str):
    """Point this process's Celery app at a broker (the suite otherwise runs tasks eagerly), then restore it."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    pools_reset()
    try:
        yield url
    finally:
        app.conf.update(saved)
        pools_reset()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test alone, on a free port; ``stop()`` and ``start()`` simulate an outage."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        log = (self.workdir / "redis.log").open("ab")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments, the system's redis-server
            [*command, "--dir", str(self.workdir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._answers, timeout=15, interval=0.1, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def down(self) -> bool:
        return not self._answers()


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def pool_children(self) -> list[int]:
        """The worker's pool processes: the ones whose parent is the worker we started (from /proc)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children


def worker_start(tmp_path: Path, broker_url: str, extra_env: dict | None = None, *, name: str = "test") -> Worker:
    log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sharing_platform.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "DB_CONN_MAX_AGE": "0",
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "INFO",  # readiness is read from the "ready." log line
        **(extra_env or {}),
    }
    handle = log.open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own virtualenv's celery
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "sharing_platform",
            "worker",
            "-P",
            "prefork",
            "-c",
            "1",
            "-l",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: teardown ends exactly the worker and its pool
    )
    worker = Worker(process, log)
    try:
        wait_for(lambda: "ready." in worker.output() or process.poll() is not None, timeout=60, what="worker ready")
    except AssertionError:
        worker_stop(worker)
        raise
    assert process.poll() is None, worker.output()
    return worker


def worker_stop(worker: Worker) -> None:
    if worker.process.poll() is None:
        os.killpg(worker.process.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=5)
