"""The application's database role (issue 12, item 7): it may read and write rows, and nothing more.

``manage.py db_app_role`` runs as the owner (the test database's superuser here) and grants a fresh role
on the test database; the role then connects on its own. Everything that would let it undo the
append-only triggers (ALTER TABLE ... DISABLE TRIGGER, DROP TRIGGER, DROP TABLE, TRUNCATE, replica mode,
replacing the trigger function) is refused. The e2e scenario runs the whole application as such a role.
"""

from __future__ import annotations

import secrets
from io import StringIO

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from credit.models import CreditEvent
from tests.credit.factories import record
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MUST_NOT = [
    "ALTER TABLE credit_creditevent DISABLE TRIGGER append_only_row",
    "ALTER TABLE credit_creditevent DISABLE TRIGGER ALL",
    "DROP TRIGGER append_only_row ON credit_creditevent",
    "DROP TRIGGER decision_is_final ON credit_listentry",
    "DROP TABLE credit_creditevent",
    "DROP TABLE bookings_bookingevent CASCADE",
    "ALTER TABLE bookings_bookingevent RENAME TO bookings_bookingevent_old",
    "TRUNCATE credit_creditscore",
    "SET sharing_platform.flush = 'on'; TRUNCATE credit_creditevent CASCADE",
    "SET session_replication_role = replica",
    "CREATE TABLE probe (id integer)",
    "CREATE OR REPLACE FUNCTION append_only_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    "ALTER ROLE CURRENT_USER SUPERUSER",
    "UPDATE credit_creditevent SET weight = weight",
]


def _url(role: str, password: str, database: str | None = None) -> str:
    settings_dict = connection.settings_dict
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or "5432"
    return f"postgres://{role}:{password}@{host}:{port}/{database or settings_dict['NAME']}"


@pytest.fixture
def app_role(settings):
    role, password = f"test_app_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    settings.DATABASE_APP_URL = _url(role, password)
    yield role, password
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


def _as(role: str, password: str, statements: list[str]) -> dict[str, str]:
    """Each statement as the role, in its own rolled-back transaction: the error it met ("" if it ran)."""
    settings_dict = connection.settings_dict
    session = psycopg2.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        dbname=settings_dict["NAME"],
        user=role,
        password=password,
    )
    outcomes = {}
    try:
        for statement in statements:
            try:
                with session.cursor() as cursor:
                    cursor.execute(statement)
                outcomes[statement] = ""
            except psycopg2.Error as error:
                outcomes[statement] = str(error).strip()
            finally:
                session.rollback()
    finally:
        session.close()
    return outcomes


def test_db_app_role_reads_and_writes_rows_but_cannot_touch_tables_or_triggers(app_role):
    role, password = app_role
    record(UserFactory(), CreditEvent.Kind.NO_SHOW, source_ref="booking:1")  # a ledger row to try to change
    call_command("db_app_role", stdout=(out := StringIO()))
    assert f"Created role {role}" in out.getvalue()

    allowed = _as(
        role,
        password,
        [
            "SELECT count(*) FROM credit_creditevent",
            "INSERT INTO django_session (session_key, session_data, expire_date) VALUES ('k', 'd', now())",
            "UPDATE instruments_region SET name_en = name_en",
            "DELETE FROM django_session",
            "SELECT nextval(pg_get_serial_sequence('auth_user', 'id'))",
        ],
    )
    assert allowed == dict.fromkeys(allowed, "")

    refused = _as(role, password, MUST_NOT)
    assert [statement for statement, error in refused.items() if not error] == []
    assert "must be owner" in refused["ALTER TABLE credit_creditevent DISABLE TRIGGER append_only_row"]
    assert "must be owner" in refused["DROP TRIGGER append_only_row ON credit_creditevent"]
    assert "must be owner" in refused["DROP TABLE credit_creditevent"]
    assert "permission denied" in refused["TRUNCATE credit_creditscore"]
    assert "append-only" in refused["UPDATE credit_creditevent SET weight = weight"]
    with connection.cursor() as cursor:  # the definitions are untouched
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'append_only_row' AND tgenabled = 'O'")
        assert cursor.fetchone()[0] == 7


def test_db_app_role_is_idempotent_and_keeps_only_its_grants(app_role):
    role, password = app_role
    call_command("db_app_role", stdout=StringIO())
    with connection.cursor() as cursor:  # an extra right granted by hand is taken back by the next run
        cursor.execute(f'GRANT TRUNCATE ON credit_creditscore TO "{role}"')
    call_command("db_app_role", stdout=(out := StringIO()))
    assert f"Updated role {role}" in out.getvalue()
    assert "permission denied" in _as(role, password, ["TRUNCATE credit_creditscore"])["TRUNCATE credit_creditscore"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = %s", [role]
        )
        assert cursor.fetchone() == (False, False, False, True)


def test_db_app_role_refuses_a_missing_url_the_owner_or_another_database(settings, app_role):
    settings.DATABASE_APP_URL = ""
    with pytest.raises(CommandError, match="Set DATABASE_APP_URL"):
        call_command("db_app_role")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    settings.DATABASE_APP_URL = _url(owner, "x")
    with pytest.raises(CommandError, match="must not be the owner"):
        call_command("db_app_role")
    settings.DATABASE_APP_URL = _url(app_role[0], "x", database="another_database")
    with pytest.raises(CommandError, match="names database 'another_database'"):
        call_command("db_app_role")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [app_role[0]])
        assert cursor.fetchone()[0] == 0  # refused before anything was created
