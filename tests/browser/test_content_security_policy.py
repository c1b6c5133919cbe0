"""The strict Content-Security-Policy in a real browser (issue 12, item 11).

The look test (test_pages_look.py) fails on any violation or console error on each page it visits;
here the self-hosted Swagger UI must render the API's operations under the policy, the admin must work
under it, and the collector itself must notice inline code (else the other checks would prove nothing).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD, AdminUserFactory, InstrumentFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_csp_swagger_ui_renders_operations_without_violations(page, page_problems):
    page.set_default_timeout(30_000)  # a big single-page app on a shared, busy test machine
    response = page.goto("/api/docs/", timeout=60_000)  # 1.5 MB of Swagger UI from the test server
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    page.wait_for_selector(".opblock", timeout=60_000)  # after the schema is generated and fetched
    operations = page.locator(".opblock")
    assert operations.count() > 50  # every operation of the schema is listed
    assert page.locator(".opblock-summary-path", has_text="/api/v1/instruments/").count() >= 1
    # Open one operation and run it from the page: the init script's request interceptor and connect-src.
    categories = page.locator(".opblock-get", has=page.locator(".opblock-summary-path", has_text="/api/v1/categories/"))
    categories.first.locator(".opblock-summary").click()
    categories.first.locator(".try-out__btn").click()
    categories.first.locator(".execute").click(no_wait_after=True)
    status = categories.first.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")

    page_problems.assert_none(page)


def test_csp_admin_pages_work_without_violations(page, page_problems):
    admin = AdminUserFactory()
    instrument = InstrumentFactory()
    log_in(page, admin.username, TEST_PASSWORD)
    for url in (
        reverse("admin:index"),
        reverse("admin:instruments_instrument_changelist"),
        reverse("admin:instruments_instrument_change", args=[instrument.pk]),
        reverse("admin:credit_creditevent_changelist"),
        reverse("admin:auth_user_add"),
    ):
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("#content h1").count() == 1, url

    page_problems.assert_none(page)


def test_csp_collector_reports_inline_code_under_our_policy(page, page_problems, live_server):
    """A page with inline script, style and handler, served with the header our pages get, is caught."""
    header = page.request.get(f"{live_server.url}/").headers["content-security-policy"]
    page.route(
        "**/csp-probe/",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": header},
            body="<!DOCTYPE html><html><head><style>p{color:red}</style></head><body>"
            "<script>document.title = 'ran'</script><p style='margin:0' onclick='alert(1)'>probe</p></body></html>",
        ),
    )

    page.goto("/csp-probe/")

    assert page.title() != "ran"  # the inline script was refused
    page.wait_for_timeout(300)
    refused = {violation["directive"] for violation in page_problems.violations}
    assert {"script-src-elem", "style-src-elem", "style-src-attr"} <= refused, page_problems.violations
    with pytest.raises(AssertionError, match="Content-Security-Policy violations"):
        page_problems.assert_none(page)
