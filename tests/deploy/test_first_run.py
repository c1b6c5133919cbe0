"""Small defects a first run showed: the favicon, a kombu warning with tasks in-process, a traceback
for a missing SECRET_KEY, and the README's silence about PORT."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.contrib.staticfiles import finders

from .checks import ROOT
from .test_production_settings import production_env, run_manage, run_python

ICO_MAGIC = b"\x00\x00\x01\x00"


@pytest.mark.django_db
def test_favicon_is_served_and_linked_from_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    icon = finders.find("favicon.ico")
    assert icon, "static/favicon.ico is missing"
    with open(icon, "rb") as handle:
        assert handle.read(4) == ICO_MAGIC

    page = client.get("/").content.decode()
    links = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert links == ["/static/favicon.ico", "/static/favicon.svg"]
    for link in links:
        assert finders.find(link.removeprefix("/static/")), link


def test_tasks_in_process_log_no_kombu_hostname_warning():
    """Eager tasks borrow a producer from the broker pool; without a broker URL kombu warned at the first
    booking ("No hostname was supplied"). A fresh process, as `runserver` is, queues a task and stays quiet."""
    env = production_env(DEBUG="true", CELERY_BROKER_URL=None, LOG_FORMAT="plain", LOG_LEVEL="DEBUG")
    code = (
        "import django\n"
        "django.setup()\n"
        "from sharing_platform.celery import app\n"
        "@app.task(name='first_run.echo')\n"
        "def echo(value):\n"
        "    return value\n"
        "assert app.conf.task_always_eager\n"
        "print('result', echo.delay(21).get(), app.conf.broker_url)\n"
    )
    result = run_python(code, env)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "result 21 memory://localhost/" in output
    assert "No hostname was supplied" not in output
    assert "WARNING" not in output


def _one_clear_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_secret_key_ends_manage_py_with_one_clear_line():
    for missing in ("", None):
        line = _one_clear_line(run_manage("check", env=production_env(SECRET_KEY=missing)))
        assert line.startswith("Configuration error: SECRET_KEY must be set when DEBUG is off")


def test_missing_secret_key_ends_gunicorn_with_one_clear_line():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "sharing_platform.wsgi"],
        cwd=ROOT,
        env=production_env(SECRET_KEY=""),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = _one_clear_line(result)
    assert line.startswith("Configuration error: SECRET_KEY must be set when DEBUG is off")


def test_bad_log_format_is_one_clear_line_too():
    line = _one_clear_line(run_manage("check", env=production_env(LOG_FORMAT="xml")))
    assert line.startswith("Configuration error: LOG_FORMAT must be one of")


def test_readme_documents_port_as_the_demo_script_reads_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    demo = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    assert "${PORT:-8000}" in demo
    assert re.search(r"^\| `PORT` \| `8000` \|", readme, re.MULTILINE), "PORT is missing from the configuration table"
    assert "PORT=8080 bash scripts/demo.sh" in readme
