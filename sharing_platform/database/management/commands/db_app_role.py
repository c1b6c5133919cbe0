"""Create or update the database role the application runs as, with exactly the rights it needs.

Run as the owner of the tables (DATABASE_URL), right after ``migrate`` (docker-compose.yml's ``migrate``
service does both). The role named by DATABASE_APP_URL gets SELECT, INSERT, UPDATE and DELETE on the
tables and USAGE on the sequences of schema public, now and for tables the owner creates later, and
nothing else: no TRUNCATE, no REFERENCES or TRIGGER, no CREATE in the schema. Not being the owner, it
cannot ALTER or DROP a table or disable or drop a trigger, so the append-only triggers hold against the
application itself (a bug, an injection). Idempotent: run it after every migration.
"""

from __future__ import annotations

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE"


def _statement(cursor, template: str, *values: str) -> str:
    """The server quotes names (%I) and literals (%L) with format(), whatever the driver."""
    cursor.execute("SELECT format(%s, " + ", ".join(["%s"] * len(values)) + ")", [template, *values])
    return cursor.fetchone()[0]


class Command(BaseCommand):
    help = "Create or update the application's restricted database role (DATABASE_APP_URL); run as the owner."

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("db_app_role is for PostgreSQL; the embedded SQLite database has no roles.")
        url = getattr(settings, "DATABASE_APP_URL", "")
        if not url:
            raise CommandError("Set DATABASE_APP_URL to the URL the application connects with (its role).")
        app = dj_database_url.parse(url)
        role, password = app.get("USER") or "", app.get("PASSWORD") or ""
        if not role:
            raise CommandError("DATABASE_APP_URL names no user.")
        database = connection.settings_dict["NAME"]
        if app.get("NAME") != database:
            raise CommandError(f"DATABASE_APP_URL names database {app.get('NAME')!r}, not {database!r}.")

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, current_database = cursor.fetchone()
            if role == owner:
                raise CommandError(f"The application's role must not be the owner {owner!r}.")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            created = cursor.fetchone() is None
            if created:
                cursor.execute(_statement(cursor, "CREATE ROLE %I", role))
            attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            cursor.execute(_statement(cursor, f"ALTER ROLE %I WITH {attributes}", role))
            if password:
                cursor.execute(_statement(cursor, "ALTER ROLE %I WITH PASSWORD %L", role, password))
            cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
            if cursor.fetchone()[0]:
                raise CommandError(f"Role {role!r} is a member of the owner {owner!r}: it would own the tables.")
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s", [role]
            )
            if cursor.fetchone()[0]:
                raise CommandError(f"Role {role!r} owns tables here: run migrations as the owner, not as it.")
            for template in (
                "GRANT CONNECT ON DATABASE %I TO %I",
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",  # PostgreSQL 15+ does this already
                "REVOKE ALL ON SCHEMA public FROM %2$I",
                "GRANT USAGE ON SCHEMA public TO %2$I",
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %2$I",
                f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO %2$I",
                "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %2$I",
                f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA public TO %2$I",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {TABLE_PRIVILEGES} ON TABLES TO %2$I",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO %2$I",
            ):
                cursor.execute(_statement(cursor, template, current_database, role))
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            tables = cursor.fetchone()[0]
        self.stdout.write(
            f"{'Created' if created else 'Updated'} role {role}: {TABLE_PRIVILEGES} on {tables} tables and "
            f"{SEQUENCE_PRIVILEGES} on the sequences of {current_database}, owned by {owner}."
        )
