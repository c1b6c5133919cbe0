"""The four kinds of user doing their jobs in Chromium, once in English and once in Simplified Chinese.

Each journey creates its data with factories and services (fast), then drives the pages. Elements
are found by stable attributes (name, id, href, form action, data-testid), never by English text;
key messages are checked in the page's language by translating the source string here.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from bookings import services as booking_services
from bookings.models import Booking, Incident
from credit import services as credit_services
from credit.models import Appeal, CreditEvent, ListEntry, subject_key_for
from instruments.models import Membership, Unit
from tests.bookings.factories import local_slot, policy_set
from tests.credit.factories import record, violations_warned
from tests.factories import (
    TEST_PASSWORD,
    AdminUserFactory,
    InstrumentFactory,
    MembershipFactory,
    UnitFactory,
    UserFactory,
    category_get,
)

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def translated(language: str, message: str, **values) -> str:
    """The source string as a user of `language` reads it (the catalogue compiled by scripts/env.sh)."""
    with translation.override(language):
        text = gettext(message)
    return text % values if values else text


def name_in(language: str, thing) -> str:
    """Units and instruments show their Chinese or English name by the reader's language."""
    with translation.override(language):
        return thing.display_name


def assert_language(page, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    if language != "en":  # the compiled catalogue is in place, so the text checks below mean something
        assert translated(language, "My bookings") != "My bookings"


def assert_success_message(page, language: str, message: str, **values) -> None:
    expected = translated(language, message, **values)
    assert expected in page.locator("ul.messages").inner_text()


def follow(page, locator) -> None:
    """Click a link or submit button and wait for the page it leads to (also when the URL stays the same)."""
    with page.expect_navigation():
        locator.click()


def local_input(moment) -> str:
    """The value a datetime-local input takes, in the platform's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def page_name(language: str) -> str:
    return f"test_journey_researcher_books-{language}"


def assert_errors_next_to_the_field(page, language: str, field: str, message: str, *, others=()) -> None:
    """The message is rendered inside the field's own row (with the input), and no other row has errors."""
    row = page.locator(f"[data-testid=field-{field}]")
    assert row.locator(f"[name={field}]").count() == 1
    assert "field-error" in (row.get_attribute("class") or "")
    assert translated(language, message) in row.locator(".errorlist").inner_text()
    for other in others:
        assert page.locator(f"[data-testid=field-{other}] .errorlist").count() == 0, other


def people_around_an_instrument(**instrument_values):
    """A provider unit with a manager and an instrument; a researcher who belongs to another unit."""
    provider = UnitFactory(name="东方大学分析测试中心", name_en="Eastern University Analysis Centre")
    manager = MembershipFactory(unit=provider, role=Membership.Role.MANAGER).user
    researcher = MembershipFactory(role=Membership.Role.MEMBER).user
    instrument = InstrumentFactory(
        unit=provider,
        name="激光共聚焦拉曼光谱仪",
        name_en="Confocal Raman spectrometer",
        manufacturer="Horiba",
        model_number="LabRAM HR Evolution",
        category=category_get(),
        hourly_rate_external=Decimal("300.00"),
        **instrument_values,
    )
    return provider, manager, researcher, instrument


def test_journey_researcher_searches_books_and_sees_the_booking(page, language, screenshot):
    """Includes a mistake in the booking form: the error is shown next to the field, the input kept."""
    _provider, _manager, researcher, raman = people_around_an_instrument(requires_approval=True)
    other = InstrumentFactory(name="核磁共振波谱仪", name_en="NMR spectrometer", manufacturer="Bruker")
    log_in(page, researcher.username, TEST_PASSWORD)

    # Search the catalogue with a word, a category and a price ceiling.
    page.goto(reverse("catalogue"))
    assert_language(page, language)
    assert page.locator("h1").inner_text() == translated(language, "Instrument catalogue")
    search = page.locator("form[role=search]")
    search.locator("input[name=q]").fill("Raman")
    search.locator("select[name=category]").select_option(raman.category.code)
    search.locator("input[name=max_rate]").fill("500")
    follow(page, search.locator("button[type=submit]"))
    page.wait_for_url("**q=Raman**")
    results = page.locator("#results")
    assert results.locator(f"h3 a[href='{reverse('instrument-detail', args=[raman.pk])}']").count() == 1
    assert results.locator(f"a[href='{reverse('instrument-detail', args=[other.pk])}']").count() == 0

    # Open the instrument and go to its booking form.
    follow(page, results.locator(f"h3 a[href='{reverse('instrument-detail', args=[raman.pk])}']"))
    assert page.locator("h1").inner_text() == name_in(language, raman)
    follow(page, page.locator(f"a[href='{reverse('bookings:create', args=[raman.pk])}']"))

    # Book a slot two days ahead, 10:00 to 12:00 local time; first with the times swapped.
    start, end = local_slot(days=2, hour=10, hours=2)
    form = page.locator("main form[method=post]")
    form.locator("input[name=start]").fill(local_input(end))
    form.locator("input[name=end]").fill(local_input(start))
    form.locator("textarea[name=purpose]").fill("Raman mapping of graphene samples")
    follow(page, form.locator("button[type=submit]"))
    swapped = "The end must be after the start."
    assert_errors_next_to_the_field(page, language, "end", swapped, others=["start", "purpose"])
    assert page.locator("textarea[name=purpose]").input_value() == "Raman mapping of graphene samples"  # kept
    assert not Booking.objects.exists()
    screenshot(page, f"{page_name(language)}-form-error")

    # Times right, purpose emptied: the form's own "required" error, in the purpose row.
    form.locator("input[name=start]").fill(local_input(start))
    form.locator("input[name=end]").fill(local_input(end))
    form.locator("textarea[name=purpose]").fill("")
    follow(page, form.locator("button[type=submit]"))
    assert_errors_next_to_the_field(page, language, "purpose", "This field is required.", others=["start", "end"])

    form.locator("textarea[name=purpose]").fill("Raman mapping of graphene samples")
    follow(page, form.locator("button[type=submit]"))

    booking = Booking.objects.get(requester=researcher)
    page.wait_for_url(f"**{reverse('bookings:detail', args=[booking.pk])}")
    assert booking.state == "requested"
    assert (booking.start, booking.end) == (start, end)
    assert booking.instrument_id == raman.pk
    state_label = translated(language, "Requested")
    assert state_label in page.locator("h1 .badge").inner_text()

    # My bookings lists it, reached from the navigation.
    follow(page, page.locator(f"header nav a[href='{reverse('bookings:mine')}']").first)
    page.wait_for_url(f"**{reverse('bookings:mine')}")
    assert page.locator("h1").inner_text() == translated(language, "My bookings")
    row = page.locator("table tbody tr", has=page.locator(f"a[href='{reverse('bookings:detail', args=[booking.pk])}']"))
    assert row.count() == 1
    assert name_in(language, raman) in row.inner_text()
    assert state_label in row.locator(".badge").inner_text()
    screenshot(page)


def test_journey_provider_approves_checks_in_and_out_and_reports_damage(page, language, screenshot):
    _provider, manager, researcher, raman = people_around_an_instrument(requires_approval=True)
    policy_set(raman, min_notice_hours=0, allow_overnight=True)
    # A request made yesterday for a slot starting in ten minutes, so check-in is open now.
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
    booking = booking_services.booking_create(
        instrument=raman,
        requester=researcher,
        start=start,
        end=start + timedelta(hours=1),
        purpose="Raman mapping of graphene samples",
        now=start - timedelta(days=1),
    )
    detail_url = reverse("bookings:detail", args=[booking.pk])
    log_in(page, manager.username, TEST_PASSWORD)

    # The provider desk shows the request; approve it there.
    follow(page, page.locator(f"header nav a[href='{reverse('bookings:provider-queue')}']").first)
    page.wait_for_url(f"**{reverse('bookings:provider-queue')}")
    assert_language(page, language)
    assert page.locator("h1").inner_text() == translated(language, "Provider desk")
    approve = page.locator(f"form[action='{reverse('bookings:action', args=[booking.pk, 'approve'])}']")
    follow(page, approve.locator("button[type=submit]"))
    page.wait_for_url(f"**{reverse('bookings:provider-queue')}")
    assert_success_message(page, language, "Done.")
    booking.refresh_from_db()
    assert booking.state == "approved"

    # Check in and out on the booking's page.
    page.goto(detail_url)
    follow(page, page.locator(f"form[action='{reverse('bookings:action', args=[booking.pk, 'check-in'])}'] button"))
    page.wait_for_url(f"**{detail_url}")
    assert translated(language, "In use") in page.locator("h1 .badge").inner_text()
    check_out = page.locator(f"form[action='{reverse('bookings:action', args=[booking.pk, 'check-out'])}']")
    check_out.locator("input[name=actual_hours]").fill("0.75")
    check_out.locator("input[name=reason]").fill("The session ran 45 minutes on the console.")
    follow(page, check_out.locator("button"))
    page.wait_for_url(f"**{detail_url}")
    assert translated(language, "Completed") in page.locator("h1 .badge").inner_text()
    booking.refresh_from_db()
    assert booking.state == "completed"
    assert booking.actual_hours == Decimal("0.75")

    # Report damage.
    report = page.locator(f"form[action='{reverse('bookings:incident-report', args=[booking.pk])}']")
    report.locator("select[name=kind]").select_option("damage")
    report.locator("select[name=severity]").select_option("general")
    report.locator("input[name=estimated_loss]").fill("1200")
    report.locator("textarea[name=description]").fill("The objective lens was scratched.")
    follow(page, report.locator("button[type=submit]"))
    page.wait_for_url(f"**{detail_url}**")
    incident = Incident.objects.get(booking=booking)
    assert incident.kind == "damage"
    assert incident.estimated_loss == Decimal("1200")
    card = page.locator(f"#incident-{incident.pk}")
    assert translated(language, "Damage") in card.inner_text()
    assert "The objective lens was scratched." in card.inner_text()
    screenshot(page)


def test_journey_admin_verifies_a_unit_and_moderates_the_black_list(page, language, screenshot):
    admin = AdminUserFactory()
    pending = UnitFactory(status=Unit.Status.PENDING, name="西湖材料研究所", name_en="West Lake Materials Institute")
    listed = UserFactory(username="late_lab_user")
    for n in range(6):  # a record of kept bookings, so the no-shows (not the score floor) are what lists them
        record(listed, CreditEvent.Kind.BOOKING_FULFILLED, days_ago=60 + n, source_ref=f"booking:{9000 + n}")
    violations_warned(listed, CreditEvent.Kind.NO_SHOW)
    credit_services.list_entries_propose(subject_keys=[subject_key_for(listed)])
    # Against a live server the scores are recomputed at once, so the warning run may already have proposed
    # the entry (score floor): the one open black entry, whichever rule proposed it.
    proposal = ListEntry.objects.get(subject_key=subject_key_for(listed), list_type="black", status="proposed")
    assert proposal.status == ListEntry.Status.PROPOSED
    log_in(page, admin.username, TEST_PASSWORD)

    # Verify the pending unit from the verification queue (linked under "Manage" in the navigation).
    queue_url = reverse("unit-verification-queue")
    page.locator("header nav [data-testid=nav-manage] summary").click()
    follow(page, page.locator(f"header nav a[href='{queue_url}']"))
    page.wait_for_url(f"**{queue_url}")
    assert_language(page, language)
    assert page.locator("h1").inner_text() == translated(language, "Unit verification queue")
    card = page.locator(f"#unit-{pending.pk}")
    card.locator("input[name=approved][value=true]").check()
    card.locator("textarea[name=reason]").fill("Registration documents checked.")
    follow(page, card.locator("button[type=submit]"))
    pending.refresh_from_db()
    assert pending.status == Unit.Status.VERIFIED

    # Confirm the proposed black-list entry with a reason.
    page.locator("header nav [data-testid=nav-manage] summary").click()
    follow(page, page.locator(f"header nav a[href='{reverse('moderation')}']"))
    page.wait_for_url(f"**{reverse('moderation')}")
    assert page.locator("h1").inner_text() == translated(language, "Moderation queue")
    article = page.locator(f"#proposal-{proposal.pk}")
    assert listed.username in article.inner_text()
    confirm = article.locator(f"form[action='{reverse('credit:entry-confirm', args=[proposal.pk])}']")
    confirm.locator("textarea[name=reason]").fill("Three no-shows confirmed by the providers' records.")
    follow(page, confirm.locator("button[type=submit]"))
    page.wait_for_url(f"**{reverse('moderation')}")
    assert_success_message(page, language, "Entry published.")
    assert page.locator(f"#proposal-{proposal.pk}").count() == 0
    proposal.refresh_from_db()
    assert proposal.status == ListEntry.Status.PUBLISHED
    assert proposal.moderator_id == admin.pk

    # The public black list now shows the entry.
    page.goto(reverse("credit:lists"))
    assert listed.username in page.locator("main").inner_text() or proposal.reason in page.locator("main").inner_text()
    page.goto(reverse("moderation"))
    screenshot(page)


def test_journey_listed_user_sees_why_and_objects(page, language, screenshot):
    admin = AdminUserFactory()
    listed = UserFactory()
    for n in range(6):  # a record of kept bookings, so the no-shows (not the score floor) are what lists them
        record(listed, CreditEvent.Kind.BOOKING_FULFILLED, days_ago=60 + n, source_ref=f"booking:{9000 + n}")
    violations_warned(listed, CreditEvent.Kind.NO_SHOW)
    credit_services.list_entries_propose(subject_keys=[subject_key_for(listed)])
    # Against a live server the scores are recomputed at once, so the warning run may already have proposed
    # the entry (score floor): the one open black entry, whichever rule proposed it.
    entry = ListEntry.objects.get(subject_key=subject_key_for(listed), list_type="black", status="proposed")
    credit_services.list_entry_confirm(entry=entry, moderator=admin, reason="Three no-shows confirmed.")
    log_in(page, listed.username, TEST_PASSWORD)

    page.locator("header nav [data-testid=nav-account] summary").click()
    follow(page, page.locator(f"header nav a[href='{reverse('credit:mine')}']"))
    page.wait_for_url(f"**{reverse('credit:mine')}")
    assert_language(page, language)
    assert page.locator("h1").inner_text() == translated(language, "My credit")
    card = page.locator(f"#entry-{entry.pk}")
    text = card.inner_text()
    assert translated(language, "Black list") in text
    assert translated(language, "Published") in text
    assert entry.reason in text  # why: the rule's own words and the counted events
    assert translated(language, "No-show") in text
    assert translated(language, "On the black list: new bookings are blocked.") in page.locator("main").inner_text()

    objection = card.locator(f"form[action='{reverse('credit:appeal-create', args=[entry.pk])}']")
    objection.locator("textarea[name=reason]").fill("Two of these were cancelled by the provider's outage.")
    follow(page, objection.locator("button[type=submit]"))
    page.wait_for_url(f"**{reverse('credit:mine')}**")
    appeal = Appeal.objects.get(entry=entry)
    assert appeal.status == Appeal.Status.OPEN
    assert appeal.submitted_by_id == listed.pk
    assert_success_message(page, language, "Objection received; it will be decided by %(date)s.", date=appeal.due_on)
    card = page.locator(f"#entry-{entry.pk}")
    assert translated(language, "Open") in card.inner_text()
    assert card.locator("form[action*='/appeal/']").count() == 0  # one open objection at a time
    screenshot(page)
