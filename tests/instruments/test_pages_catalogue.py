"""Catalogue, instrument detail and the manager's create/edit/retire pages, through the Django test client."""

# ruff: noqa: RUF001 - Chinese texts use full-width punctuation on purpose

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from instruments.models import Instrument, Membership, Unit
from tests.factories import InstrumentFactory, MembershipFactory, UnitFactory, UserFactory, category_get

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def form_data(**overrides) -> dict:
    data = {
        "category": str(category_get("mass-spectrometry").pk),
        "asset_number": "PAGE-1",
        "name": "液相色谱质谱联用仪",
        "name_en": "LC-MS",
        "model_number": "Q Exactive",
        "manufacturer": "Thermo Fisher",
        "original_value": "4200000",
        "status": "available",
        "hourly_rate_internal": "250",
        "hourly_rate_external": "500",
        "deposit": "0",
        "requires_approval": "on",
        "min_credit_score": "",
    }
    data.update(overrides)
    return data


def snapshot() -> list[tuple]:
    return list(Instrument.objects.order_by("pk").values_list("pk", "name", "status", "hourly_rate_external"))


# --- catalogue -------------------------------------------------------------------------------------------------


def test_catalogue_page_lists_and_filters(unit):
    sem = InstrumentFactory(unit=unit, name_en="Scanning electron microscope X")
    tensile = InstrumentFactory(unit=unit, name_en="Tensile tester", category=category_get("mechanical-testing"))
    response = client_for().get(reverse("catalogue"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert sem.name_en in response.content.decode()
    assert tensile.name_en in response.content.decode()
    response = client_for().get(reverse("catalogue"), {"category": "analytical"}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert sem.name_en in body
    assert tensile.name_en not in body


def test_catalogue_page_pagination_links_without_count(unit):
    InstrumentFactory.create_batch(21, unit=unit)
    first = client_for().get(reverse("catalogue"), {"q": "microscope"})
    assert first.context["next_link"] == "?q=microscope&page=2"
    assert first.context["previous_link"] is None
    assert 'rel="next"' in first.content.decode()
    second = client_for().get(reverse("catalogue"), {"q": "microscope", "page": 2})
    assert len(second.context["instruments"]) == 1
    assert second.context["next_link"] is None
    assert second.context["previous_link"] == "?q=microscope"


def test_catalogue_page_empty_state_says_what_to_do(unit):
    InstrumentFactory(unit=unit)
    response = client_for().get(reverse("catalogue"), {"q": "zzz-nothing"}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "No instrument matches these filters" in body
    assert "Clear all filters" in body


def test_catalogue_page_bad_filter_shows_message(unit):
    response = client_for().get(
        reverse("catalogue"), {"min_rate": "cheap", "category": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a number" in body
    assert "Unknown category" in body


@pytest.mark.parametrize("rows", [5, 45])
def test_catalogue_page_query_count_is_fixed(django_assert_num_queries, rows):
    unit = UnitFactory()
    made = {InstrumentFactory(unit=unit).pk for _ in range(rows)}
    client = client_for()
    # The page itself, the category tree (two) and the regions for the filter drop-downs.
    with django_assert_num_queries(4):
        response = client.get(reverse("catalogue"))
    assert response.status_code == 200
    shown = list(response.context["instruments"])
    assert len(shown) == min(rows, 20)
    assert {row["id"] for row in shown} <= made
    assert all(reverse("instrument-detail", args=[row["id"]]) in response.text for row in shown)


# --- detail ----------------------------------------------------------------------------------------------------


def test_instrument_detail_shows_what_a_booker_needs(unit):
    unit.credit_score = 812
    unit.credit_tier = "excellent"
    unit.save()
    instrument = InstrumentFactory(
        unit=unit,
        specifications="Resolution 1.0 nm at 15 kV",
        services="SEM imaging, EDS mapping",
        min_credit_score=650,
        requires_qualification=True,
        contact_phone="021-5555-0101",
    )
    response = client_for().get(reverse("instrument-detail", args=[instrument.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        instrument.name_en,
        "SU8010",
        "Hitachi",
        "Resolution 1.0 nm at 15 kV",
        "SEM imaging, EDS mapping",
        "¥400.00 / hour",
        "¥200.00 / hour",
        "¥1,000.00",
        "650",
        "Operators need a qualification",
        "Each booking is approved",
        "021-5555-0101",
        "Building 5, Room 101",
        "status-available",
        "status-verified",
        "812",
        unit.name_en,
    ):
        assert text in body, text


def test_instrument_detail_hidden_when_retired_or_unit_unverified(unit):
    retired = InstrumentFactory(unit=unit, status=Instrument.Status.RETIRED)
    pending = InstrumentFactory(unit=UnitFactory(status=Unit.Status.PENDING))
    assert client_for().get(reverse("instrument-detail", args=[retired.pk])).status_code == 404
    assert client_for().get(reverse("instrument-detail", args=[pending.pk])).status_code == 404
    assert client_for(UserFactory()).get(reverse("instrument-detail", args=[retired.pk])).status_code == 404


def test_instrument_detail_manager_sees_manage_links(unit_manager, instrument):
    body = client_for(unit_manager).get(reverse("instrument-detail", args=[instrument.pk])).content.decode()
    assert reverse("instrument-edit", args=[instrument.pk]) in body
    assert reverse("instrument-retire", args=[instrument.pk]) in body
    public = client_for().get(reverse("instrument-detail", args=[instrument.pk])).content.decode()
    assert reverse("instrument-edit", args=[instrument.pk]) not in public


# --- create / edit / retire pages: permission matrix ------------------------------------------------------------

ROLES = ["anonymous", "plain_user", "other_unit_manager", "member", "manager", "unit_admin", "platform_admin"]
ALLOWED = {"manager", "unit_admin", "platform_admin"}


@pytest.fixture
def actor_for(unit, other_unit):
    def make(role: str):
        if role == "anonymous":
            return None
        if role == "plain_user":
            return UserFactory()
        if role == "platform_admin":
            return UserFactory(is_staff=True)
        if role == "other_unit_manager":
            return MembershipFactory(unit=other_unit, role=Membership.Role.MANAGER).user
        roles = {"member": Membership.Role.MEMBER, "manager": Membership.Role.MANAGER, "unit_admin": "admin"}
        return MembershipFactory(unit=unit, role=roles[role]).user

    return make


def assert_refused(response, role: str) -> None:
    if role == "anonymous":
        assert response.status_code == 302
        assert "/login" in response["Location"] or "login" in response["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_instrument_create_page_permission_matrix(unit, actor_for, role):
    client = client_for(actor_for(role))
    url = reverse("instrument-create", args=[unit.pk])
    before = snapshot()
    get_response = client.get(url)
    response = client.post(url, form_data())
    if role in ALLOWED:
        assert get_response.status_code == 200
        assert response.status_code == 302
        created = Instrument.objects.get(asset_number="PAGE-1")
        assert created.unit == unit
        assert response["Location"] == reverse("instrument-detail", args=[created.pk])
    else:
        assert_refused(get_response, role)
        assert_refused(response, role)
        assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_instrument_edit_page_permission_matrix(instrument, actor_for, role):
    client = client_for(actor_for(role))
    url = reverse("instrument-edit", args=[instrument.pk])
    before = snapshot()
    get_response = client.get(url)
    response = client.post(url, form_data(asset_number=instrument.asset_number, hourly_rate_external="777"))
    if role in ALLOWED:
        assert get_response.status_code == 200
        assert response.status_code == 302
        instrument.refresh_from_db()
        assert instrument.hourly_rate_external == Decimal("777")
    else:
        assert_refused(get_response, role)
        assert_refused(response, role)
        assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_instrument_retire_page_permission_matrix(instrument, actor_for, role):
    client = client_for(actor_for(role))
    url = reverse("instrument-retire", args=[instrument.pk])
    before = snapshot()
    get_response = client.get(url)
    response = client.post(url)
    instrument.refresh_from_db()
    if role in ALLOWED:
        assert get_response.status_code == 200
        assert response.status_code == 302
        assert instrument.status == Instrument.Status.RETIRED
        assert instrument.retired_at is not None
    else:
        assert_refused(get_response, role)
        assert_refused(response, role)
        assert snapshot() == before


def test_instrument_create_page_refused_for_unverified_unit():
    pending = UnitFactory(status=Unit.Status.PENDING)
    manager = MembershipFactory(unit=pending, role=Membership.Role.MANAGER).user
    response = client_for(manager).post(reverse("instrument-create", args=[pending.pk]), form_data())
    assert response.status_code == 403
    assert not Instrument.objects.exists()


def test_instrument_create_page_unknown_unit_is_404(unit_manager):
    assert client_for(unit_manager).get(reverse("instrument-create", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hourly_rate_external": "-1"}, "hourly_rate_external"),
        ({"original_value": "lots"}, "original_value"),
        ({"min_credit_score": "200"}, "min_credit_score"),
        ({"category": "999999"}, "category"),
        ({"status": "retired"}, "status"),
        ({"name": ""}, "name"),
    ],
)
def test_instrument_create_page_errors_next_to_fields(unit_manager, unit, change, field):
    response = client_for(unit_manager).post(reverse("instrument-create", args=[unit.pk]), form_data(**change))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}-errors"' in response.content.decode()
    assert not Instrument.objects.exists()


def test_instrument_create_page_duplicate_asset_number_next_to_field(unit_manager, instrument):
    response = client_for(unit_manager).post(
        reverse("instrument-create", args=[instrument.unit_id]), form_data(asset_number=instrument.asset_number)
    )
    assert response.status_code == 400
    assert "asset_number" in response.context["form"].errors
    assert Instrument.objects.count() == 1


def test_instrument_edit_page_of_retired_instrument_redirects_with_message(unit_manager, instrument):
    instrument.status = Instrument.Status.RETIRED
    instrument.save()
    client = client_for(unit_manager)
    response = client.post(reverse("instrument-edit", args=[instrument.pk]), form_data(name="back"))
    assert response.status_code == 302
    instrument.refresh_from_db()
    assert instrument.name != "back"


def test_instrument_create_page_form_groups_categories(unit_manager, unit):
    body = client_for(unit_manager).get(reverse("instrument-create", args=[unit.pk])).content.decode()
    assert "<optgroup" in body


def test_catalogue_page_unit_filter_is_announced(unit, other_unit):
    mine = InstrumentFactory(unit=unit, name_en="Mine")
    InstrumentFactory(unit=other_unit, name_en="Theirs")
    response = client_for().get(reverse("catalogue"), {"unit": unit.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert [row["id"] for row in response.context["instruments"]] == [mine.pk]
    assert f"Only instruments of {unit.name_en}" in response.content.decode()


def test_catalogue_page_offers_listing_links_to_managers(unit_manager, unit):
    body = client_for(unit_manager).get(reverse("catalogue")).content.decode()
    assert reverse("instrument-create", args=[unit.pk]) in body
    plain = client_for(UserFactory()).get(reverse("catalogue")).content.decode()
    assert reverse("instrument-create", args=[unit.pk]) not in plain


# --- names and texts in the active language ---------------------------------------------------------------------


def _positions(page: str, *names: str) -> list[int]:
    return [page.index(name) for name in names]


def test_catalogue_page_orders_by_the_name_in_the_active_language():
    InstrumentFactory(name="离心机甲", name_en="Zeta centrifuge")
    InstrumentFactory(name="显微镜乙", name_en="Alpha microscope")
    InstrumentFactory(name="光谱仪丙", name_en="Mu spectrometer")
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("catalogue")).content.decode()
    found = _positions(english, "Alpha microscope", "Mu spectrometer", "Zeta centrifuge")
    assert found == sorted(found)
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("catalogue")).content.decode()
    by_database = list(Instrument.objects.order_by("name").values_list("name", flat=True))
    found = _positions(chinese, *by_database)
    assert found == sorted(found)
    assert by_database != ["显微镜乙", "光谱仪丙", "离心机甲"]  # the Chinese order is not the English one


def test_instrument_page_shows_english_texts_and_falls_back_to_chinese_clearly():
    both = InstrumentFactory(
        description="场发射扫描电镜，面向校内外开放。",
        description_en="Field-emission SEM open to all users.",
        specifications="分辨率 0.8 nm",
        specifications_en="Resolution 0.8 nm",
        services="样品测试",
        services_en="Sample testing",
        location="分析测试中心 A101",
        location_en="Analysis and Testing Centre, room A101",
    )
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("instrument-detail", args=[both.pk])).content.decode()
    for text in ("Field-emission SEM open to all users.", "Resolution 0.8 nm", "Sample testing", "room A101"):
        assert text in page
    assert "场发射扫描电镜" not in page
    assert "Not given in English" not in page
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("instrument-detail", args=[both.pk])).content.decode()
    assert "场发射扫描电镜，面向校内外开放。" in page
    assert "分析测试中心 A101" in page
    assert "Field-emission SEM" not in page

    chinese_only = InstrumentFactory(description="仅有中文的简介。", location="实验楼 B202")
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("instrument-detail", args=[chinese_only.pk])).content.decode()
    assert '<p lang="zh-Hans">仅有中文的简介。</p>' in page
    assert page.count("Not given in English; shown in Chinese.") == 2  # description and location

    english_only = InstrumentFactory(description="", description_en="Only an English description.")
    url = reverse("instrument-detail", args=[english_only.pk])
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url).content.decode()
    assert '<p lang="en">Only an English description.</p>' in page
    assert "暂无中文，以下为英文。" in page


def test_instrument_form_takes_the_english_texts(unit):
    manager = MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
    english = {"description_en": "About it", "specifications_en": "Specs", "services_en": "Testing"}
    data = form_data(description="简介", location_en="Lab 1", **english)
    response = client_for(manager).post(reverse("instrument-create", args=[unit.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    instrument = Instrument.objects.get(asset_number="PAGE-1")
    assert {name: getattr(instrument, name) for name in english} == english
    assert instrument.location_en == "Lab 1"
