"""End to end over HTTP only, against gunicorn, a real Celery worker and Celery beat (see conftest/processes).

A unit registers and is verified; its manager lists instruments by bulk import and allows short-notice
bookings; a researcher books, is approved, does not show up twice and misuses an instrument once (seriously); the
worker recomputes the score; a black-list proposal is made through the broker (as beat does nightly);
the admin confirms it; the public list shows it; the researcher is refused a booking with a clear
message; an objection upheld by the admin lifts the entry, and the researcher can book again.
Nothing here imports or calls platform code in this process: every step is an HTTP request, a
``celery`` command, or a process of the deployment.
"""

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .client import Api
from .processes import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

PASSWORD = "Cell-Culture-Flask-42"  # passes the configured password validators
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A valid unified social credit code (GB 32100-2015): 17 characters and their check character.
CREDIT_CODE = "91310000MA1FL0000N"
INSTRUMENTS_CSV = (
    "asset_number,name,name_en,category,original_value,hourly_rate_internal,hourly_rate_external,requires_approval\r\n"
    "E2E-001,场发射扫描电镜,Field-emission SEM,electron-optics,3200000.00,300,600,yes\r\n"
    "E2E-002,X射线衍射仪,X-ray diffractometer,x-ray,1800000.00,200,400,yes\r\n"
    "E2E-003,激光共聚焦显微镜,Confocal microscope,microscopy-imaging,2500000.00,250,500,yes\r\n"
).encode()
SHORT_NOTICE_RULES = {
    "min_notice_hours": 0,
    "min_duration_minutes": 1,
    "grace_period_minutes": 0,
    "no_show_threshold_minutes": 0,
    "cancellation_notice_hours": 0,
    "allow_multi_day": True,  # the run may cross midnight in Shanghai
    "allow_overnight": True,
}
# What the role web, worker and beat connect as may not do (issue 12, item 7): each must be refused.
APP_ROLE_MUST_NOT = [
    "ALTER TABLE credit_creditevent DISABLE TRIGGER append_only_row",
    "DROP TRIGGER append_only_row ON credit_creditevent",
    "DROP TABLE bookings_bookingevent",
    "TRUNCATE credit_creditevent CASCADE",
    "UPDATE credit_creditevent SET weight = weight",
    "DELETE FROM bookings_bookingevent",
    "SET session_replication_role = replica",
    "CREATE TABLE e2e_probe (id integer)",
]
LEAD = timedelta(seconds=12)  # bookings start this far ahead: time to book and approve, then a short wait


def iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def credit_score(api: Api, user_id: int) -> int | None:
    return api.get(f"/api/v1/credit/users/{user_id}/").expect(200).json()["score"]


def scored_since(api: Api, user_id: int, moment: datetime) -> int | None:
    """The user's score, once a snapshot computed at or after moment exists (read as the user)."""
    snapshot = api.get(f"/api/v1/credit/users/{user_id}/").expect(200).json()["private"]["snapshot"]
    if snapshot and datetime.fromisoformat(snapshot["as_of"]) >= moment:
        return snapshot["score"]
    return None


def book(researcher: Api, instrument_id: int, start: datetime, minutes: int = 5):
    return researcher.post(
        "/api/v1/bookings/",
        {
            "instrument": instrument_id,
            "start": iso(start),
            "end": iso(start + timedelta(minutes=minutes)),
            "purpose": "Grain boundaries of annealed copper samples",
        },
    )


def test_scenario_unit_to_black_list_and_back(deployment):
    began = time.monotonic()

    def step(name: str) -> None:
        deployment.report(f"e2e: {time.monotonic() - began:5.1f}s {name}")

    anonymous = Api(deployment.base_url)
    admin = anonymous.signed_in(deployment.admin_username, deployment.admin_password)
    assert admin.get("/api/v1/auth/me/").expect(200).json()["is_platform_admin"] is True

    # --- A unit registers (API) and a platform admin verifies it -----------------------------------
    unit_admin, _ = anonymous.register("e2e-unit-admin", PASSWORD)
    unit = unit_admin.post(
        "/api/v1/units/",
        {
            "name": "华东材料测试中心",
            "name_en": "East China Materials Testing Centre",
            "kind": "research_institute",
            "credit_code": CREDIT_CODE,
            "region": "310000",
            "contact_email": "desk@example.org",
        },
    ).expect(201)
    unit_id = unit.json()["id"]
    assert unit.json()["status"] == "pending"
    verified = admin.post(f"/api/v1/units/{unit_id}/verify/", {"approved": True}).expect(200)
    assert verified.json()["status"] == "verified"
    manager, _ = anonymous.register("e2e-manager", PASSWORD)
    unit_admin.post(f"/api/v1/units/{unit_id}/members/", {"username": "e2e-manager", "role": "manager"}).expect(201)
    step("unit registered, verified, manager added")

    # --- Its manager lists instruments by bulk import (multipart CSV) and allows short notice --------
    imported = manager.upload(
        "/api/v1/instruments/import/",
        {"unit": str(unit_id)},
        {"file": ("instruments.csv", INSTRUMENTS_CSV, "text/csv")},
    ).expect(200)
    assert (imported.json()["created"], imported.json()["updated"]) == (3, 0), imported.body
    catalogue = anonymous.get(f"/api/v1/instruments/?unit={unit_id}").expect(200).json()["results"]
    instruments = {row["name_en"]: row["id"] for row in catalogue}
    assert set(instruments) == {"Field-emission SEM", "X-ray diffractometer", "Confocal microscope"}
    for instrument_id in instruments.values():
        rules = manager.patch(f"/api/v1/instruments/{instrument_id}/booking-policy/", SHORT_NOTICE_RULES).expect(200)
        assert rules.json()["min_notice_hours"] == 0
    step("3 instruments imported, short-notice rules set")

    # --- A researcher books three times and is approved ---------------------------------------------
    researcher, researcher_id = anonymous.register("e2e-researcher", PASSWORD)
    start = datetime.now(tz=SHANGHAI) + LEAD
    bookings = {}
    for name, instrument_id in instruments.items():
        created = book(researcher, instrument_id, start).expect(201).json()
        if created["state"] == "requested":
            created = manager.post(f"/api/v1/bookings/{created['id']}/approve/").expect(200).json()
        assert created["state"] == "approved", created
        bookings[name] = created["id"]
    step("3 bookings requested and approved")

    # One booking is used: check-in (opens before the start), check-out. The worker scores the researcher.
    used = bookings["Confocal microscope"]
    assert researcher.post(f"/api/v1/bookings/{used}/check-in/").expect(200).json()["state"] == "in_use"
    checked_out = researcher.post(f"/api/v1/bookings/{used}/check-out/").expect(200).json()
    assert checked_out["state"] == "completed"
    score_before = wait_for(
        lambda: scored_since(researcher, researcher_id, datetime.fromisoformat(checked_out["checked_out_at"])),
        timeout=60,
        what="the worker to score the researcher after the check-out",
    )
    step(f"used one booking; the worker scored the researcher {score_before}")

    # --- Two no-shows: past the start (grace period and threshold 0), the provider records them ------
    time.sleep(max(0.0, (start - datetime.now(tz=SHANGHAI)).total_seconds()) + 1)
    for name in ("Field-emission SEM", "X-ray diffractometer"):
        answer = manager.post(f"/api/v1/bookings/{bookings[name]}/no-show/")
        if answer.status == 409:  # beat's no-show sweep may have been first: that is fine too
            answer = manager.get(f"/api/v1/bookings/{bookings[name]}/")
        assert answer.expect(200).json()["state"] == "no_show", answer.body

    # --- Serious misuse, once: the provider reports it, the researcher confirms (a deliberate serious fault is
    # proposed at once; an accidental damage would only be warned first, issue 18.8) ------------------------
    incident = manager.upload(
        f"/api/v1/bookings/{used}/incidents/",
        {
            "kind": "misuse",
            "severity": "serious",
            "estimated_loss": "48000.00",
            "description": "Interlock bypassed to run beyond the rated beam current; the objective lens cracked.",
        },
        {},  # no photo this time: evidence files would go here (multipart, as the schema says)
    ).expect(201)
    confirmed = researcher.post(f"/api/v1/incidents/{incident.json()['id']}/confirm/").expect(200)
    assert confirmed.json()["state"] == "confirmed"
    step("2 no-shows recorded, serious misuse reported and confirmed")

    # --- The worker recomputes the score --------------------------------------------------------------
    score_after = wait_for(
        lambda: (score := credit_score(researcher, researcher_id)) is not None and score < score_before and score,
        timeout=60,
        what=f"the worker to lower the researcher's score below {score_before}",
    )
    step(f"score dropped {score_before} -> {score_after}")

    # --- A black-list proposal appears: the nightly task, sent through the broker as beat sends it ---
    deployment.celery_call("credit.tasks.propose_list_entries_task")

    def proposal():
        rows = admin.get("/api/v1/credit/entries/?status=proposed").expect(200).json()["results"]
        mine = [row for row in rows if row["subject"]["type"] == "user" and row["subject"]["id"] == researcher_id]
        return next((row for row in mine if row["list"] == "black"), None)

    entry = wait_for(proposal, timeout=60, interval=0.5, what="a black-list proposal for the researcher")
    assert entry["status"] == "proposed"
    assert anonymous.get("/api/v1/credit/lists/black/").expect(200).json()["results"] == []  # not public yet
    step(f"black-list proposal #{entry['id']} ({entry['rule']}): {entry['reason']}")

    # --- The admin confirms it with a reason; the public black list shows it ---------------------------
    published = admin.post(
        f"/api/v1/credit/entries/{entry['id']}/confirm/",
        {"reason": "Confirmed serious misuse of a shared instrument; the record was checked."},
    ).expect(200)
    assert published.json()["status"] == "published"
    public = anonymous.get("/api/v1/credit/lists/black/").expect(200).json()["results"]
    assert [(row["id"], row["subject"]["id"]) for row in public] == [(entry["id"], researcher_id)]

    # --- The researcher is refused a booking, with a clear message -------------------------------------
    later = datetime.now(tz=SHANGHAI) + timedelta(hours=2)
    refused = book(researcher, instruments["X-ray diffractometer"], later)
    assert refused.status == 400, refused.body
    assert refused.json()["code"] == "credit_blacklist", refused.body
    assert "black list" in refused.json()["detail"], refused.body
    step("published; the researcher is refused a booking")

    # --- An objection, upheld by the admin, lifts the entry; the researcher can book again -------------
    appeal = researcher.post(
        f"/api/v1/credit/entries/{entry['id']}/appeals/",
        {"reason": "The interlock was already bypassed before my session; the provider's own log shows it."},
    ).expect(201)
    assert appeal.json()["status"] == "open"
    decided = admin.post(
        f"/api/v1/credit/appeals/{appeal.json()['id']}/decide/",
        {"upheld": True, "reason": "The service log confirms the bypass predates the booking."},
    ).expect(200)
    assert decided.json()["status"] == "upheld"
    assert anonymous.get("/api/v1/credit/lists/black/").expect(200).json()["results"] == []
    again = book(researcher, instruments["X-ray diffractometer"], later).expect(201)
    assert again.json()["state"] in {"requested", "approved"}
    step("objection upheld; the entry is lifted and the researcher books again")

    # --- Beat relays the transactional outbox (every 15 seconds); the worker runs the relay ---------------
    relayed = re.compile(r"Task sharing_platform\.outbox\.tasks\.relay_outbox\[[^\]]+\] succeeded")
    worker_log = deployment.process("celery-worker")
    wait_for(
        lambda: relayed.search(worker_log.output()),
        timeout=40,
        interval=1,
        what="beat's outbox relay to run in the worker",
    )
    step("beat sent the outbox relay; the worker ran it")

    # --- The processes ran as the application's role, which cannot alter the tables or their triggers ---
    assert deployment.database_users() == {deployment.app_role}
    refusals = deployment.as_app_role(APP_ROLE_MUST_NOT)
    assert all(refusals.values()), f"the application's role could: {[s for s, e in refusals.items() if not e]}"
    assert deployment.as_app_role(["SELECT count(*) FROM credit_creditevent"]) == {
        "SELECT count(*) FROM credit_creditevent": ""
    }
    step(f"the deployment ran as {deployment.app_role}, refused {len(refusals)} changes to tables and triggers")

    # --- Every process stops cleanly and none of them logged an error ---------------------------------
    problems = deployment.stop()
    step("processes stopped")
    assert not problems, "the deployment reported problems:\n" + "\n".join(problems)
