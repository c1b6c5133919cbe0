"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread; the ORM calls made by the tests
themselves are synchronous and safe, so Django's async guard is relaxed for these tests only.
"""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Set here, not at import, so the variable exists only once a browser runs in this process.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _context(browser, live_server, locale: str):
    return browser.new_context(
        base_url=live_server.url,
        locale=locale,
        extra_http_headers={"Accept-Language": locale},
        viewport={"width": 1280, "height": 900},
    )


@pytest.fixture(params=["en", "zh-hans"], ids=["english", "chinese"])
def language(request):
    return request.param


@pytest.fixture
def page(browser, live_server, language):
    context = _context(browser, live_server, "zh-CN" if language == "zh-hans" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# Runs in every document before its own code (Playwright's init scripts are not subject to the page's CSP)
# and hands each Content-Security-Policy violation to the test through a binding.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation({
    page: location.pathname + location.search,
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile ? `${event.sourceFile}:${event.lineNumber}` : "",
    sample: event.sample,
  });
}, true);
"""


@dataclass
class PageProblems:
    """CSP violations and console errors/warnings seen on every page a test loaded."""

    violations: list[dict] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def console_message(self, message) -> None:
        url = message.location.get("url", "")
        if url.endswith("/favicon.ico"):  # the browser asks for it by itself; the admin pages name none
            return
        if message.type in {"error", "warning"}:
            self.console.append(f"{message.type}: {message.text} ({url})")

    def assert_none(self, page) -> None:
        page.wait_for_timeout(300)  # violation events are queued as tasks; let the last page's arrive
        assert self.violations == [], f"Content-Security-Policy violations: {self.violations}"
        assert self.console == [], f"console errors or warnings: {self.console}"


@pytest.fixture
def page_problems(page):
    """Collects CSP violations (securitypolicyviolation events) and console errors of every page loaded
    from now on in `page`; call ``page_problems.assert_none(page)`` at the end."""
    problems = PageProblems()
    page.expose_binding("__reportCspViolation", lambda _source, violation: problems.violations.append(violation))
    page.add_init_script(CSP_LISTENER)
    page.on("console", problems.console_message)
    return problems


@pytest.fixture
def screenshot(request, language):
    """Call screenshot(page) at the end of a journey: saves its last page and prints where."""

    def take(page, name: str | None = None) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name or request.node.name}.png".replace("[", "-").replace("]", "")
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")  # noqa: T201 - the journey prints where its evidence is
        return path

    return take


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # H10: wait for the page the login leads to, not just the current one's load state (a race under load).
    with page.expect_navigation():
        page.locator("main form button[type=submit], main form input[type=submit]").first.click()
