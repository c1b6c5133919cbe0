"""Registering a unit in a district of Baotou (150200) with the region picker, with and without JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from instruments.models import Region, Unit
from instruments.validators import uscc_build
from tests.factories import TEST_PASSWORD, UserFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def region_name(code: str, language: str) -> str:
    with translation.override(language):
        return Region.objects.get(code=code).name


def fill_identity(page, code: str) -> None:
    page.fill("input[name=name]", "包头稀土检测技术有限公司")
    page.fill("input[name=name_en]", "Baotou Rare Earth Testing Technology Co., Ltd.")
    page.select_option("select[name=kind]", "enterprise")
    page.fill("input[name=credit_code]", code)


def submit(page) -> None:
    with page.expect_navigation():
        page.locator("main form > button[type=submit]").last.click()


def test_region_picker_fills_cities_and_districts_from_the_api(page, language, screenshot):
    user = UserFactory()
    code = uscc_build("91150203MA0R00001")
    log_in(page, user.username, TEST_PASSWORD)
    page.goto(reverse("unit-register"))
    assert page.locator("[data-region-refresh]").is_hidden()  # the script refills the lists itself

    page.select_option("select[name=province]", "150000")
    baotou = page.locator("select[name=city] option[value='150200']")
    baotou.wait_for(state="attached")
    assert baotou.inner_text() == region_name("150200", language)
    page.select_option("select[name=city]", "150200")
    kundulun = page.locator("select[name=county] option[value='150203']")
    kundulun.wait_for(state="attached")
    assert kundulun.inner_text() == region_name("150203", language)
    assert page.locator("select[name=county] option").count() == 1 + 9  # "the whole city" and Baotou's nine
    page.select_option("select[name=county]", "150203")

    fill_identity(page, code)
    submit(page)
    unit = Unit.objects.get(credit_code=code)
    assert unit.region.code == "150203"
    assert page.url.endswith(reverse("unit-detail", args=[unit.pk]))
    assert region_name("150203", language) in page.locator("main").inner_text()
    screenshot(page)


def test_region_picker_works_without_javascript(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        user = UserFactory()
        code = uscc_build("12150200MB0R00002")
        log_in(page, user.username, TEST_PASSWORD)
        page.goto(reverse("unit-register"))
        refresh = page.locator("[data-region-refresh]")
        assert refresh.is_visible()
        fill_identity(page, code)
        page.select_option("select[name=province]", "150000")
        with page.expect_navigation():
            refresh.click()
        assert Unit.objects.count() == 0
        assert page.locator("input[name=credit_code]").input_value() == code  # what was typed is kept
        page.select_option("select[name=city]", "150200")
        submit(page)
        assert Unit.objects.get(credit_code=code).region.code == "150200"
        screenshot(page, "test_region_picker_works_without_javascript")
    finally:
        context.close()
