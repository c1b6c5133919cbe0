"""The deployment the end-to-end scenario runs against: the processes docker-compose.yml names, started here."""

import time

import pytest

from .processes import Deployment


@pytest.fixture
def deployment(request, tmp_path_factory):
    """A fresh e2e_<random> database, Redis db 12, gunicorn + Celery worker + Celery beat; all gone afterwards.

    The test calls ``deployment.stop()`` itself and asserts on what it returns (so a process that logged an
    error fails the test, not only the teardown); this teardown makes sure nothing is left running either way.
    Progress goes straight to the terminal (also under output capture), so CI shows the scenario's timeline.
    """
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    deployment = Deployment(workdir=tmp_path_factory.mktemp("e2e"))
    if reporter is not None and capture is not None:

        def report(line: str) -> None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)

        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_sep("-", "end-to-end scenario: gunicorn, Celery worker and beat as in docker-compose.yml")
        deployment.report = report
    deployment.report(f"e2e: process logs in {deployment.logs}")
    began = time.monotonic()
    try:
        try:
            deployment.start()
        except BaseException:
            for problem in deployment.stop():
                deployment.report(f"e2e: {problem}")
            raise
        timings = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in deployment.timings.items())
        deployment.report(f"e2e: {deployment.base_url} on database {deployment.database} ready ({timings})")
        yield deployment
    finally:
        try:
            deployment.stop()
        finally:
            deployment.drop()
            deployment.report(f"e2e: done in {time.monotonic() - began:.1f}s in all; database dropped")
