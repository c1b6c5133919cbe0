"""Sign-in throttling across real server processes: gunicorn with three workers on PostgreSQL,
run as docker-compose.yml runs the web service; failed sign-ins spread over the workers lock the account
in all of them, and an admin's unlock (a separate process) frees it everywhere."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from tests.e2e.client import Api
from tests.e2e.processes import (
    Deployment,
    database_create,
    free_port,
    http_json,
    log_problems,
    run,
    service_command,
    start,
    wait_for,
    with_option,
)

pytestmark = pytest.mark.postgres

WORKERS = 3
ACCOUNT_LIMIT = settings.SIGNIN_FAILURE_LIMITS["username"]
# gunicorn's access log with the worker's process id first: "<pid> POST /api/v1/auth/token/ 429".
ACCESS_LOG_FORMAT = "%(p)s %(m)s %(U)s %(s)s"
ACCESS_LINE = re.compile(r"<(\d+)> POST /api/v1/auth/token/ (\d{3})")


@pytest.fixture
def web(tmp_path):
    """gunicorn (WORKERS sync workers) with the web service's production environment on a fresh database."""
    deployment = Deployment(workdir=tmp_path)
    deployment.logs.mkdir(parents=True)
    deployment.database = database_create()
    env = deployment.env("web")
    try:
        # As compose does: the migrate service (the owner) migrates and creates the app's role; web uses that role.
        for index, step in enumerate(service_command("migrate")):
            run(f"migrate-step{index + 1}", step, deployment.env("migrate"), deployment.logs, timeout=180)
        run("createsuperuser", ["python", "manage.py", "createsuperuser", "--noinput"], env, deployment.logs,
            timeout=60)  # fmt: skip
        *_before, server = service_command("web")
        port = free_port()
        command = with_option(with_option(server, "--bind", f"127.0.0.1:{port}"), "--workers", str(WORKERS))
        command = with_option(command, "--access-logformat", ACCESS_LOG_FORMAT)
        deployment.processes.append(start("gunicorn", command, env, deployment.logs))
        deployment.base_url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_json(f"{deployment.base_url}/healthz", timeout=3)[0] == 200, timeout=60,
                 what="gunicorn to answer /healthz")  # fmt: skip
        yield deployment, env
    finally:
        deployment.stop()
        deployment.drop()


def served_by(deployment) -> list[tuple[int, int]]:
    """(worker pid, status) of every token request, in order, from gunicorn's access log."""
    output = deployment.process("gunicorn").output()
    return [(int(pid), int(status)) for pid, status in ACCESS_LINE.findall(output)]


def test_lockout_holds_across_gunicorn_workers(web):
    deployment, env = web
    api = Api(deployment.base_url)
    username, password = deployment.admin_username, deployment.admin_password

    def attempt(secret: str) -> int:
        return api.post("/api/v1/auth/token/", {"username": username, "password": secret}).status

    # One failure short of the limit, three at a time, so every worker serves some of them.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        statuses = list(pool.map(attempt, [f"guess-{n}" for n in range(ACCOUNT_LIMIT - 1)]))
    assert statuses == [400] * (ACCOUNT_LIMIT - 1)
    assert attempt("guess-last") == 429
    # Now the right password is refused by every worker.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        statuses = list(pool.map(attempt, [password] * (2 * WORKERS)))
    assert statuses == [429] * (2 * WORKERS)

    log = wait_for(lambda: (rows := served_by(deployment)) and len(rows) >= 3 * WORKERS + 2 and rows, timeout=10,
                   what="the access log to list every token request")  # fmt: skip
    failures_pids = {pid for pid, status in log[: ACCOUNT_LIMIT - 1]}
    locked_pids = {pid for pid, status in log[ACCOUNT_LIMIT:] if status == 429}
    assert len(failures_pids) >= 2, f"the failures were all served by one worker: {log}"
    assert len(locked_pids) >= 2, f"the refusals were all served by one worker: {log}"

    # A platform admin unlocks with the documented command, from another process: every worker lets them in.
    run("axes-reset", ["python", "manage.py", "axes_reset_username", username], env, deployment.logs, timeout=60)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        statuses = list(pool.map(attempt, [password] * WORKERS))
    assert statuses == [200] * WORKERS
    gunicorn = deployment.process("gunicorn")
    assert log_problems(gunicorn) == []
