"""Unit pages through the Django test client: who sees and does what, errors next to fields."""

import pytest
from django.urls import reverse

from instruments.models import Membership, Unit
from instruments.validators import uscc_build
from tests.factories import AdminUserFactory, InstrumentFactory, MembershipFactory, UnitFactory, UserFactory, region_get

GOOD_CODE = uscc_build("12310000425000001")


def form_data(**changes):
    data = {
        "name": "复旦大学分析测试中心",
        "name_en": "Fudan Analysis Centre",
        "kind": "university",
        "credit_code": GOOD_CODE,
        "province": "310000",
        "city": "",
        "county": "",
        "address": "220 Handan Road",
        "contact_name": "",
        "contact_phone": "",
        "contact_email": "",
        "website": "",
        "accreditations": "CMA\uff0cCNAS, CMA",
        "description": "",
    }
    data.update(changes)
    return data


def person(who, unit):
    return {
        "anonymous": lambda: None,
        "plain": UserFactory,
        "other_unit_admin": lambda: MembershipFactory(role=Membership.Role.ADMIN).user,
        "member": lambda: MembershipFactory(unit=unit).user,
        "manager": lambda: MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user,
        "unit_admin": lambda: MembershipFactory(unit=unit, role=Membership.Role.ADMIN).user,
        "platform_admin": AdminUserFactory,
    }[who]()


def login_as(client, who, unit):
    someone = person(who, unit)
    if someone is not None:
        client.force_login(someone)
    return someone


def is_login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- public list and detail ----------------------------------------------------------------------


@pytest.mark.django_db
def test_unit_list_page_shows_verified_units_only(client):
    verified = UnitFactory(name="可见单位", name_en="")
    UnitFactory(name="待审单位", name_en="", status=Unit.Status.PENDING)
    InstrumentFactory(unit=verified)
    response = client.get(reverse("unit-list"))
    assert response.status_code == 200
    assert "可见单位" in response.text
    assert "待审单位" not in response.text
    # Even a platform admin's public list stays the verified directory.
    client.force_login(AdminUserFactory())
    assert "待审单位" not in client.get(reverse("unit-list")).text


@pytest.mark.django_db
def test_unit_list_page_filters_and_bad_filters(client):
    UnitFactory(name="北京单位", name_en="", region=region_get("110000"))
    UnitFactory(name="上海单位", name_en="")
    response = client.get(reverse("unit-list") + "?region=110000")
    assert "北京单位" in response.text
    assert "上海单位" not in response.text
    assert "上海单位" in client.get(reverse("unit-list") + "?q=上海").text
    response = client.get(reverse("unit-list") + "?kind=castle")
    assert response.status_code == 200
    assert "No verified units" in response.text


@pytest.mark.django_db
def test_unit_list_page_query_count_is_constant(client, django_assert_max_num_queries):
    units = UnitFactory.create_batch(3)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("unit-list"))
    assert response.status_code == 200
    assert all(unit.display_name in response.text for unit in units)
    more = UnitFactory.create_batch(20)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("unit-list"))
    assert response.status_code == 200
    assert more[-1].display_name in response.text or "page=2" in response.text


@pytest.mark.django_db
def test_unit_detail_page_visibility(client, user):
    pending = UnitFactory(status=Unit.Status.PENDING)
    verified = UnitFactory()
    assert client.get(reverse("unit-detail", args=[verified.pk])).status_code == 200
    assert client.get(reverse("unit-detail", args=[pending.pk])).status_code == 404
    client.force_login(user)
    assert client.get(reverse("unit-detail", args=[pending.pk])).status_code == 404
    MembershipFactory(unit=pending, user=user)
    response = client.get(reverse("unit-detail", args=[pending.pk]))
    assert response.status_code == 200
    assert "waits for verification" in response.text


# --- register ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unit_register_page_anonymous_redirects_to_login(client):
    assert is_login_redirect(client.get(reverse("unit-register")))
    assert is_login_redirect(client.post(reverse("unit-register"), form_data()))
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_unit_register_page_creates_pending_unit(client, user):
    client.force_login(user)
    assert client.get(reverse("unit-register")).status_code == 200
    response = client.post(reverse("unit-register"), form_data(credit_code=GOOD_CODE.lower()))
    unit = Unit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("unit-detail", args=[unit.pk])
    assert unit.status == Unit.Status.PENDING
    assert unit.credit_code == GOOD_CODE
    assert unit.accreditations == ["CMA", "CNAS"]
    assert Membership.objects.get(unit=unit, user=user).role == Membership.Role.ADMIN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"credit_code": GOOD_CODE[:-1]}, "credit_code", "18 characters"),
        ({"credit_code": GOOD_CODE[:-1] + ("0" if GOOD_CODE[-1] != "0" else "1")}, "credit_code", "check character"),
        ({"credit_code": "12310000S25000001" + "0"}, "credit_code", "not allowed"),
        ({"province": "999999"}, "province", "from the list"),
        ({"province": ""}, "province", "Choose the province"),
        ({"city": "150200"}, "city", "not a division of"),
        ({"province": "150000", "city": "150200", "county": "310104"}, "county", "not a division of"),
        ({"kind": "castle"}, "kind", "valid choice"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_unit_register_page_shows_errors_next_to_fields(client, user, changes, field, words):
    client.force_login(user)
    response = client.post(reverse("unit-register"), form_data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert words in response.text
    assert f'id="id_{field}_errors"' in response.text
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_unit_register_page_duplicate_code(client, user):
    UnitFactory(credit_code=GOOD_CODE)
    client.force_login(user)
    response = client.post(reverse("unit-register"), form_data())
    assert response.status_code == 200
    assert "already registered" in response.context["form"].errors["credit_code"][0]
    assert Unit.objects.count() == 1
    assert Membership.objects.count() == 0


# --- my units ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_units_page(client, unit, unit_manager):
    assert is_login_redirect(client.get(reverse("my-units")))
    client.force_login(unit_manager)
    response = client.get(reverse("my-units"))
    assert response.status_code == 200
    assert unit.display_name in response.text
    assert "Instrument manager" in response.text


# --- edit ----------------------------------------------------------------------------------------

EDIT_MATRIX = [
    ("anonymous", "login"),
    ("plain", 403),
    ("other_unit_admin", 403),
    ("member", 403),
    ("manager", 403),
    ("unit_admin", 302),
    ("platform_admin", 302),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), EDIT_MATRIX)
def test_unit_edit_page_permission_matrix(client, unit, who, expected):
    login_as(client, who, unit)
    data = form_data(address="Changed address")
    response = client.post(reverse("unit-edit", args=[unit.pk]), data)
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected
    unit.refresh_from_db()
    assert (unit.address == "Changed address") == (expected == 302)


@pytest.mark.django_db
def test_unit_edit_page_verified_identity_locked(client, unit, unit_admin):
    client.force_login(unit_admin)
    response = client.get(reverse("unit-edit", args=[unit.pk]))
    assert "credit_code" not in response.context["form"].fields
    original = unit.credit_code
    response = client.post(reverse("unit-edit", args=[unit.pk]), form_data(contact_email="bad"))
    assert response.status_code == 200
    assert "contact_email" in response.context["form"].errors
    client.post(reverse("unit-edit", args=[unit.pk]), form_data(address="New"))
    unit.refresh_from_db()
    assert unit.credit_code == original
    assert unit.name != form_data()["name"]
    assert unit.address == "New"


# --- members -------------------------------------------------------------------------------------

MEMBER_WRITE_MATRIX = [
    ("anonymous", "login"),
    ("plain", 403),
    ("other_unit_admin", 403),
    ("member", 403),
    ("manager", 403),
    ("unit_admin", 302),
    ("platform_admin", 302),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), MEMBER_WRITE_MATRIX)
def test_unit_members_page_add_permission_matrix(client, unit, unit_admin, who, expected):
    newcomer = UserFactory()
    login_as(client, who, unit)
    response = client.post(reverse("unit-members", args=[unit.pk]), {"person": newcomer.username, "role": "manager"})
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected
    added = Membership.objects.filter(unit=unit, user=newcomer).first()
    assert (added is not None) == (expected == 302)
    if added:
        assert added.role == "manager"


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), MEMBER_WRITE_MATRIX)
def test_unit_member_update_permission_matrix(client, unit, unit_admin, unit_member, who, expected):
    login_as(client, who, unit)
    url = reverse("unit-member-update", args=[unit.pk, unit_member.pk])
    response = client.post(url, {"role": "manager"})
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected
    assert Membership.objects.get(unit=unit, user=unit_member).role == ("manager" if expected == 302 else "member")
    response = client.post(url, {"remove": "1"})
    assert Membership.objects.filter(unit=unit, user=unit_member).exists() == (expected != 302)


@pytest.mark.django_db
def test_unit_members_page_view_and_errors(client, unit, unit_admin, unit_member):
    client.force_login(unit_member)
    response = client.get(reverse("unit-members", args=[unit.pk]))
    assert response.status_code == 200
    assert unit_admin.username in response.text
    assert 'name="person"' not in response.text  # members see, admins manage
    client.force_login(unit_admin)
    response = client.post(reverse("unit-members", args=[unit.pk]), {"person": "ghost", "role": "member"})
    assert response.status_code == 200
    assert "No account" in response.context["form"].errors["person"][0]
    response = client.post(reverse("unit-members", args=[unit.pk]), {"person": unit_member.username, "role": "admin"})
    assert "already a member" in response.context["form"].errors["person"][0]
    assert Membership.objects.get(unit=unit, user=unit_member).role == "member"


@pytest.mark.django_db
def test_unit_member_update_last_admin_shows_message(client, unit, unit_admin):
    client.force_login(unit_admin)
    url = reverse("unit-member-update", args=[unit.pk, unit_admin.pk])
    response = client.post(url, {"role": "member"}, follow=True)
    assert "at least one unit administrator" in response.text
    client.post(url, {"remove": "1"})
    assert Membership.objects.get(unit=unit, user=unit_admin).role == "admin"
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_unit_member_can_leave(client, unit, unit_admin, unit_member):
    client.force_login(unit_member)
    response = client.post(reverse("unit-member-update", args=[unit.pk, unit_member.pk]), {"remove": "1"})
    assert response["Location"] == reverse("my-units")
    assert not Membership.objects.filter(unit=unit, user=unit_member).exists()


# --- verification queue --------------------------------------------------------------------------

QUEUE_MATRIX = [
    ("anonymous", "login"),
    ("plain", 403),
    ("other_unit_admin", 403),
    ("member", 403),
    ("manager", 403),
    ("unit_admin", 403),
    ("platform_admin", 302),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), QUEUE_MATRIX)
def test_unit_verify_page_permission_matrix(client, who, expected):
    pending = UnitFactory(status=Unit.Status.PENDING)
    login_as(client, who, pending)
    response = client.post(reverse("unit-verify", args=[pending.pk]), {"approved": "true"})
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected
    pending.refresh_from_db()
    assert pending.status == ("verified" if expected == 302 else "pending")
    view = client.get(reverse("unit-verification-queue"))
    if expected == "login":
        assert is_login_redirect(view)
    else:
        assert view.status_code == (200 if expected == 302 else 403)


@pytest.mark.django_db
def test_unit_verification_queue_lists_pending_with_applicant(client, platform_admin, django_assert_max_num_queries):
    first = UnitFactory(name="第一家", status=Unit.Status.PENDING)
    applicant = MembershipFactory(unit=first, role=Membership.Role.ADMIN).user
    UnitFactory(name="已验证")
    client.force_login(platform_admin)
    response = client.get(reverse("unit-verification-queue"))
    assert "第一家" in response.text
    assert applicant.username in response.text
    assert "已验证" not in response.text
    waiting = [UnitFactory(status=Unit.Status.PENDING) for _ in range(5)]
    for unit in waiting:
        MembershipFactory(unit=unit, role=Membership.Role.ADMIN)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("unit-verification-queue"))
    assert response.status_code == 200
    assert all(unit.name in response.text for unit in waiting)


@pytest.mark.django_db
def test_unit_verify_page_reject_needs_reason(client, platform_admin):
    pending = UnitFactory(status=Unit.Status.PENDING)
    client.force_login(platform_admin)
    response = client.post(reverse("unit-verify", args=[pending.pk]), {"approved": "false", "reason": ""}, follow=True)
    assert "Give a reason" in response.text
    pending.refresh_from_db()
    assert pending.status == "pending"
    client.post(reverse("unit-verify", args=[pending.pk]), {"approved": "false", "reason": "Licence expired"})
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert pending.status_reason == "Licence expired"
    # Deciding again is refused with the current status named.
    response = client.post(reverse("unit-verify", args=[pending.pk]), {"approved": "true"}, follow=True)
    assert "this unit is rejected" in response.text
    pending.refresh_from_db()
    assert pending.status == "rejected"


@pytest.mark.django_db
def test_unit_suspend_page(client, unit, platform_admin, unit_admin):
    client.force_login(unit_admin)
    assert client.post(reverse("unit-suspend", args=[unit.pk]), {"reason": "x"}).status_code == 403
    client.force_login(platform_admin)
    client.post(reverse("unit-suspend", args=[unit.pk]), {"reason": ""})
    unit.refresh_from_db()
    assert unit.status == "verified"
    client.post(reverse("unit-suspend", args=[unit.pk]), {"reason": "Fraud report"})
    unit.refresh_from_db()
    assert unit.status == "suspended"
    response = client.get(reverse("unit-detail", args=[unit.pk]))
    assert "Fraud report" in response.text


@pytest.mark.django_db
def test_unit_detail_page_links_for_managers(client, unit, unit_manager, unit_member):
    client.force_login(unit_manager)
    response = client.get(reverse("unit-detail", args=[unit.pk]))
    assert reverse("instrument-create", kwargs={"unit_pk": unit.pk}) in response.text
    assert reverse("unit-members", args=[unit.pk]) in response.text
    client.force_login(unit_member)
    response = client.get(reverse("unit-detail", args=[unit.pk]))
    assert reverse("instrument-create", kwargs={"unit_pk": unit.pk}) not in response.text
    assert reverse("unit-edit", args=[unit.pk]) not in response.text


# --- the region picker: Baotou (150200) and its districts, without JavaScript --------------------

BAOTOU_CODE = uscc_build("12150200MB0000001")
KUNDULUN_CODE = uscc_build("91150203MA0000002")


def option(code: str, label: str, selected: bool = False) -> str:
    return f'<option value="{code}"{" selected" if selected else ""}>{label}</option>'


@pytest.mark.django_db
def test_unit_register_page_picks_baotou_then_a_district_without_javascript(client, user):
    client.force_login(user)
    page = client.get(reverse("unit-register")).text
    assert option("150000", "Inner Mongolia") in page
    assert 'data-regions-url="/api/v1/regions/"' in page
    assert "js/region-picker.js" in page
    assert option("150200", "Baotou") not in page  # cities come once a province is chosen

    typed = form_data(name="包头稀土研究院测试中心", credit_code=BAOTOU_CODE, province="150000", _region_refresh="1")
    page = client.post(reverse("unit-register"), typed).text
    assert Unit.objects.count() == 0  # showing the cities registers nothing
    assert option("150000", "Inner Mongolia", selected=True) in page
    assert option("150200", "Baotou") in page
    assert option("150800", "Bayannur") in page
    assert 'value="包头稀土研究院测试中心"' in page  # what was typed is kept
    assert 'role="alert"' not in page  # and no errors yet

    page = client.post(reverse("unit-register"), {**typed, "city": "150200"}).text
    assert option("150200", "Baotou", selected=True) in page
    assert option("150203", "Kundulun District") in page
    assert option("150223", "Darhan Muminggan United Banner") in page

    del typed["_region_refresh"]
    response = client.post(reverse("unit-register"), {**typed, "city": "150200"})
    assert response.status_code == 302
    assert Unit.objects.get(credit_code=BAOTOU_CODE).region.code == "150200"

    response = client.post(
        reverse("unit-register"),
        {**typed, "name": "包头市昆都仑区检测公司", "credit_code": KUNDULUN_CODE, "city": "150200", "county": "150203"},
    )
    assert response.status_code == 302
    unit = Unit.objects.get(credit_code=KUNDULUN_CODE)
    assert unit.region.code == "150203"
    detail = client.get(reverse("unit-detail", args=[unit.pk])).text
    assert "Kundulun District (150203)" in detail


@pytest.mark.django_db
def test_unit_register_page_region_picker_in_chinese(client, user):
    client.force_login(user)
    data = form_data(province="150000", city="150200", _region_refresh="1")
    page = client.post(reverse("unit-register"), data, HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert option("150000", "内蒙古自治区", selected=True) in page
    assert option("150200", "包头市", selected=True) in page
    assert option("150206", "白云鄂博矿区") in page


@pytest.mark.django_db
def test_unit_edit_page_shows_and_changes_the_district(client, user):
    unit = UnitFactory(status=Unit.Status.PENDING, region=region_get("150203"))
    MembershipFactory(unit=unit, user=user, role=Membership.Role.ADMIN)
    client.force_login(user)
    page = client.get(reverse("unit-edit", args=[unit.pk])).text
    assert option("150000", "Inner Mongolia", selected=True) in page
    assert option("150200", "Baotou", selected=True) in page
    assert option("150203", "Kundulun District", selected=True) in page

    data = form_data(name=unit.name, credit_code=unit.credit_code, province="150000", city="150200", county="150222")
    assert client.post(reverse("unit-edit", args=[unit.pk]), data).status_code == 302
    unit.refresh_from_db()
    assert unit.region.code == "150222"

    # Moving to a district of another city without pressing "Show cities and districts" is refused.
    data["county"] = "150102"
    response = client.post(reverse("unit-edit", args=[unit.pk]), data)
    assert response.status_code == 200
    assert "county" in response.context["form"].errors
    unit.refresh_from_db()
    assert unit.region.code == "150222"


@pytest.mark.django_db
def test_unit_list_page_orders_by_the_name_in_the_active_language(client):
    UnitFactory(name="内蒙古科技大学", name_en="Inner Mongolia University of Science and Technology")
    UnitFactory(name="包钢集团研发中心", name_en="Baotou Steel R&D Centre")
    page = client.get(reverse("unit-list"), HTTP_ACCEPT_LANGUAGE="en").text
    assert page.index("Baotou Steel R&amp;D Centre") < page.index("Inner Mongolia University")
    page = client.get(reverse("unit-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").text
    by_database = list(Unit.objects.order_by("name").values_list("name", flat=True))
    assert page.index(by_database[0]) < page.index(by_database[1])


@pytest.mark.django_db
def test_unit_page_description_falls_back_to_the_other_language(client):
    unit = UnitFactory(description="包头市的检测中心。", description_en="")
    page = client.get(reverse("unit-detail", args=[unit.pk]), HTTP_ACCEPT_LANGUAGE="en").text
    assert '<p lang="zh-Hans">包头市的检测中心。</p>' in page
    assert "Not given in English; shown in Chinese." in page
    unit.description_en = "A testing centre in Baotou."
    unit.save()
    page = client.get(reverse("unit-detail", args=[unit.pk]), HTTP_ACCEPT_LANGUAGE="en").text
    assert "<p>A testing centre in Baotou.</p>" in page
    assert "包头市的检测中心" not in page
    page = client.get(reverse("unit-detail", args=[unit.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert "包头市的检测中心。" in page
