"""Writing score snapshots in bulk: the values a batch computed, COPY (or INSERT ... unnest) into the table.

Apart from recompute.py, which decides what to write. Nothing here scores: it renders each distinct reason's
text and JSON once per process (ReasonTexts), formats COPY lines from plain values (NewSnapshot, no model
instance per subject), and reads what a full run's batch needs of the previous snapshots (latest_in_range).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone, translation

from . import params
from .models import CreditScore
from .scoring.reasons import reason_text


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


@dataclass(slots=True)
class PreviousSnapshot:
    """What a full run's batch needs of a subject's latest snapshot (no model instance per subject)."""

    subject_key: str
    score: int
    tier: str
    cap: int | None
    record: Decimal
    fulfilment: Decimal
    external: Decimal
    identity: Decimal
    relationships: Decimal
    model_version: str
    as_of: datetime
    pk: int


def latest_in_range(id_range: tuple[str, int, int]) -> dict[str, PreviousSnapshot]:
    """The newest snapshot of each subject of a full run's batch (PostgreSQL: by id range, one query)."""
    phase, first, last = id_range
    column = "subject_unit_id" if phase == "unit" else "subject_user_id"
    table = CreditScore._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT ON (subject_key) subject_key, score, tier, cap, record, fulfilment, external, identity, "  # noqa: S608
            f"relationships, model_version, as_of, id FROM {table} WHERE {column} BETWEEN %s AND %s "
            "ORDER BY subject_key, as_of DESC, id DESC",
            [first, last],
        )
        return {row[0]: PreviousSnapshot(*row) for row in cursor.fetchall()}


_TEXTS: dict[str, dict[tuple, str]] = {}  # language -> reason -> its sentence, shared by the batches of a process
_HEADS: dict[str, dict[tuple, str]] = {}  # language -> reason -> its JSON without the impact
_TEXTS_KEPT = 100_000  # distinct reasons kept per language; beyond, the caches start again


class ReasonTexts:
    """reasons_with_text for many subjects: each distinct sentence rendered once per process and language."""

    def __init__(self):
        language = translation.get_language() or ""
        self.cache = _TEXTS.setdefault(language, {})
        self.heads = _HEADS.setdefault(language, {})
        if len(self.cache) > _TEXTS_KEPT or len(self.heads) > _TEXTS_KEPT:
            self.cache.clear()
            self.heads.clear()

    def __call__(self, reasons: list[dict]) -> list[dict]:
        rendered = []
        for reason in reasons:
            name = (reason["code"], tuple(reason["params"].items()))
            text = self.cache.get(name)
            if text is None:
                text = self.cache[name] = reason_text(reason)
            rendered.append({**reason, "text": text})
        return rendered

    def json(self, items: list[tuple]) -> str:
        """json.dumps(self(reasons)) up to key order (stored as jsonb), from BatchScores.reason_items(): each
        distinct reason's text rendered and encoded once."""
        heads = self.heads
        parts = []
        for name, impact in items:
            head = heads.get(name)
            if head is None:
                reason = {"code": name[0], "params": dict(name[1])}
                text = self.cache.get(name)
                if text is None:
                    text = self.cache[name] = reason_text(reason)
                head = heads[name] = json.dumps({**reason, "text": text})[:-1] + ', "impact": '
            parts.append(f"{head}{impact!r}}}")
        return "[" + ", ".join(parts) + "]"


UNITS_TEXT = [str(Decimal(units).scaleb(-4).quantize(Decimal("0.0001"))) for units in range(10001)]


@dataclass(slots=True)
class NewSnapshot:
    """A snapshot to write: plain values (no model instance per subject in a full run)."""

    key: str
    score: int
    tier: str
    cap: int | None
    units: list[int]  # the dimensions in 0.0001 units, in params.DIMENSIONS order
    reasons_json: str
    pk: int | None = None

    @property
    def dimensions(self) -> dict[str, Decimal]:
        return {name: Decimal(UNITS_TEXT[units]) for name, units in zip(params.DIMENSIONS, self.units, strict=True)}

    def model(self, *, as_of: datetime, run_id) -> CreditScore:
        kind, _sep, pk = self.key.partition(":")
        snapshot = CreditScore(
            id=self.pk,
            subject_unit_id=int(pk) if kind == "unit" else None,
            subject_user_id=int(pk) if kind == "user" else None,
            subject_key=self.key,
            score=self.score,
            tier=self.tier,
            cap=self.cap,
            reasons=json.loads(self.reasons_json),
            model_version=params.MODEL_VERSION,
            run_id=run_id,
            as_of=as_of,
            **self.dimensions,
        )
        if self.pk is not None:
            snapshot._state.adding = False
            snapshot._state.db = "default"
        return snapshot


_INSERT_SNAPSHOTS = """
    INSERT INTO credit_creditscore (subject_user_id, subject_unit_id, subject_key, score, tier, record, fulfilment,
        external, identity, relationships, cap, reasons, model_version, run_id, as_of, computed_at)
    SELECT u, n, k, s, t, r, f, e, i, l, c, j::jsonb, %s, %s::uuid, %s, %s
    FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::int[], %s::text[], %s::numeric[], %s::numeric[],
                %s::numeric[], %s::numeric[], %s::numeric[], %s::int[], %s::text[])
         AS x(u, n, k, s, t, r, f, e, i, l, c, j)
    RETURNING id, subject_key
"""
BACKSLASH, DOUBLE_BACKSLASH = "\\", "\\\\"  # COPY's escape character, and itself escaped
COPY_FROM_ROWS = 50  # from this many snapshots on, COPY (two round trips, far less parsing) beats one INSERT

_SNAPSHOT_COLUMNS = (
    "id, subject_user_id, subject_unit_id, subject_key, score, tier, record, fulfilment, external, identity, "
    "relationships, cap, reasons, model_version, run_id, as_of, computed_at"
)


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def draw_ids(count: int) -> list[int]:
    """Ids for `count` snapshots, drawn from the table's sequence in one query (PostgreSQL; any connection)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [CreditScore._meta.db_table, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def insert_snapshots(fresh: list[NewSnapshot], *, as_of: datetime, run_id, reserved: Sequence[int] = ()) -> None:
    """Write new snapshots in bulk (PostgreSQL: ids drawn from the sequence in one query, then one COPY).

    `reserved`: ids drawn already (by a full run's read-ahead), used first; one left unused is a gap in the ids,
    as a rolled-back insert leaves.
    """
    if not fresh:
        return
    if not _is_postgres():
        created = CreditScore.objects.bulk_create([row.model(as_of=as_of, run_id=run_id) for row in fresh])
        for row, snapshot in zip(fresh, created, strict=True):
            row.pk = snapshot.pk
        return
    if len(fresh) < COPY_FROM_ROWS:
        _insert_unnest(fresh, as_of=as_of, run_id=run_id)
        return
    table = CreditScore._meta.db_table
    constant = "\t".join(
        _copy_text(v) for v in (params.MODEL_VERSION, run_id, as_of.isoformat(), timezone.now().isoformat())
    )
    with connection.cursor() as cursor:
        ids = list(reserved[: len(fresh)]) + draw_ids(len(fresh) - len(reserved))
        lines = []
        text = UNITS_TEXT
        for pk, row in zip(ids, fresh, strict=True):
            row.pk = pk
            kind, _sep, subject_id = row.key.partition(":")
            user_id, unit_id = (subject_id, "\\N") if kind == "user" else ("\\N", subject_id)
            record, fulfilment, external, identity, relationships = row.units
            cap = "\\N" if row.cap is None else row.cap
            # Only the JSON needs escaping (its backslashes; json.dumps leaves no raw tab or newline); the
            # key ("user:<id>"), the tier and the numbers never hold a character COPY treats specially.
            lines.append(
                f"{pk}\t{user_id}\t{unit_id}\t{row.key}\t{row.score}\t{row.tier}\t{text[record]}\t"
                f"{text[fulfilment]}\t{text[external]}\t{text[identity]}\t{text[relationships]}\t{cap}\t"
                f"{row.reasons_json.replace(BACKSLASH, DOUBLE_BACKSLASH)}\t{constant}\n"
            )
        # The psycopg2 cursor under Django's wrapper: COPY is not part of the DB-API.
        cursor.cursor.copy_expert(f"COPY {table} ({_SNAPSHOT_COLUMNS}) FROM STDIN", io.StringIO("".join(lines)))


def _insert_unnest(fresh: list[NewSnapshot], *, as_of: datetime, run_id) -> None:
    """A few snapshots (the per-event path): one INSERT ... SELECT FROM unnest(arrays), ids returned."""
    columns: list[list] = [[] for _ in range(12)]
    for row in fresh:
        kind, _sep, pk = row.key.partition(":")
        values = (
            int(pk) if kind == "user" else None, int(pk) if kind == "unit" else None, row.key, row.score, row.tier,
            *(UNITS_TEXT[units] for units in row.units), row.cap, row.reasons_json,
        )  # fmt: skip
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SNAPSHOTS, [params.MODEL_VERSION, str(run_id), as_of, timezone.now(), *columns])
        ids = {key: pk for pk, key in cursor.fetchall()}
    for row in fresh:
        row.pk = ids[row.key]
