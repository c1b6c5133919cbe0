"""PostgreSQL triggers that keep ledgers and decisions as they were written, whoever connects.

The ORM already refuses to update or delete ledger rows, but ``_base_manager.update()``, ``_raw_delete``,
raw SQL and psql do not go through it. These triggers do the same in the database:

* ``append_only(table)``: UPDATE and DELETE of any row, and TRUNCATE, are refused (the credit ledger,
  score snapshots, booking history, the evidence of a list entry).
* ``decisions_final(table, ...)``: rows may change while they are open (a proposed list entry, an open
  objection); once decided they may not, except the columns a later step legitimately sets (a published
  entry ends: status and ended_at); DELETE and TRUNCATE are always refused.

They refuse every role, the table owner included: a mistaken psql session is as much the threat as the
application. The one exception is TRUNCATE by the table owner (or a superuser) in a session that turned
``sharing_platform.flush`` on. Only the test runner's flush does that (tests/conftest.py, with SET LOCAL
around Django's TRUNCATE of every table between transactional tests); the application's role cannot use
it, because it is not the owner and holds no TRUNCATE privilege (see ``manage.py db_app_role``). Refusing
only non-owner roles was the alternative; it would leave the owner's psql free to rewrite history.

UPDATE and DELETE are refused per row, so statements that touch no row (Django's cascade collector
deletes related rows with ``WHERE fk IN (...)`` even when there are none) pass. The refusal is SQLSTATE
42501 (insufficient_privilege), not an integrity error, so no service mistakes it for a duplicate.
Everything here is PostgreSQL only; on SQLite (the embedded default) the operations do nothing.
"""

from __future__ import annotations

from django.db import migrations

FLUSH_SETTING = "sharing_platform.flush"  # written out in REFUSE_FUNCTION_SQL
ROW_TRIGGER = "append_only_row"
TRUNCATE_TRIGGER = "append_only_truncate"
DECISION_TRIGGER = "decision_is_final"

REFUSE_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION append_only_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('sharing_platform.flush', true) = 'on'
       AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'insufficient_privilege',
        MESSAGE = format('%s on %I refused: the table is append-only', TG_OP, TG_TABLE_NAME),
        HINT = TG_ARGV[0];
END;
$$
"""
# Arguments: the state column; the states in which a row is open (anything may change); the states from
# which only the listed columns may change; those columns (lists comma-separated).
DECISION_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION decision_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state text := to_jsonb(OLD) ->> TG_ARGV[0];
    before jsonb := to_jsonb(OLD);
    after jsonb := to_jsonb(NEW);
BEGIN
    IF state = ANY (string_to_array(TG_ARGV[1], ',')) THEN
        RETURN NEW;
    END IF;
    IF state = ANY (string_to_array(TG_ARGV[2], ',')) THEN
        before := before - string_to_array(TG_ARGV[3], ',');
        after := after - string_to_array(TG_ARGV[3], ',');
    END IF;
    IF before IS DISTINCT FROM after THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('UPDATE on %I refused: the row was decided (%s = %s) and a decision is final',
                             TG_TABLE_NAME, TG_ARGV[0], state),
            HINT = 'Record a new decision (an objection, a repair, a reversing ledger event) instead.';
    END IF;
    RETURN NEW;
END;
$$
"""


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL on PostgreSQL; nothing on other databases (SQLite has no such triggers)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain SQL name: {name!r}")
    return f'"{name}"'


def trigger_functions() -> PostgresOnlyRunSQL:
    """The two trigger functions; every migration that adds triggers depends on the one that runs this."""
    return PostgresOnlyRunSQL(
        [REFUSE_FUNCTION_SQL, DECISION_FUNCTION_SQL],
        ["DROP FUNCTION IF EXISTS decision_is_final()", "DROP FUNCTION IF EXISTS append_only_refuse()"],
        elidable=False,
    )


def append_only(table: str, hint: str) -> PostgresOnlyRunSQL:
    """Refuse UPDATE and DELETE of any row of ``table``, and TRUNCATE (see the module docstring)."""
    quoted, argument = _identifier(table), _literal(hint)
    return PostgresOnlyRunSQL(
        [
            f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {quoted} "
            f"FOR EACH ROW EXECUTE FUNCTION append_only_refuse({argument})",
            f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {quoted} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse({argument})",
        ],
        [f"DROP TRIGGER IF EXISTS {name} ON {quoted}" for name in (ROW_TRIGGER, TRUNCATE_TRIGGER)],
        elidable=False,
    )


def decisions_final(
    table: str,
    *,
    state_column: str,
    open_states: tuple[str, ...],
    closing_states: tuple[str, ...] = (),
    closing_columns: tuple[str, ...] = (),
    hint: str,
) -> PostgresOnlyRunSQL:
    """A decided row of ``table`` keeps its decision: see the module docstring. DELETE and TRUNCATE are refused."""
    quoted = _identifier(table)
    arguments = ", ".join(
        _literal(value)
        for value in (state_column, ",".join(open_states), ",".join(closing_states), ",".join(closing_columns))
    )
    hint_argument = _literal(hint)
    return PostgresOnlyRunSQL(
        [
            f"CREATE TRIGGER {DECISION_TRIGGER} BEFORE UPDATE ON {quoted} "
            f"FOR EACH ROW EXECUTE FUNCTION decision_is_final({arguments})",
            f"CREATE TRIGGER {ROW_TRIGGER} BEFORE DELETE ON {quoted} "
            f"FOR EACH ROW EXECUTE FUNCTION append_only_refuse({hint_argument})",
            f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {quoted} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse({hint_argument})",
        ],
        [f"DROP TRIGGER IF EXISTS {name} ON {quoted}" for name in (DECISION_TRIGGER, ROW_TRIGGER, TRUNCATE_TRIGGER)],
        elidable=False,
    )
