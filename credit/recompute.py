"""Recomputation of scores: one subject (after each event) or everyone (nightly), same code path.

Idempotency (the documented choice): a snapshot is written only when the result differs from the
subject's latest snapshot (score, dimensions, cap, reasons, model version). Re-running with no new
facts and the same as_of writes nothing; a later as_of writes a snapshot only where time decay or
new facts moved something.

A full run is set-based and batched: each batch aggregates the ledger in SQL for up to
RECOMPUTE_BATCH_SIZE subjects, bulk-creates the snapshots and advances the run's cursor in ONE
transaction. A worker that dies mid-run leaves every earlier snapshot intact and no half batch; the
redelivered task resumes the same run (same as_of) from its cursor. On PostgreSQL a session
advisory lock keeps two full runs from overlapping; the second one returns "already running".
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from instruments.catalogue_cache import catalogue_changed
from instruments.models import Unit
from sharing_platform import outbox

from . import params
from .models import CreditRun, CreditScore
from .scoring.inputs import build_inputs, split_keys
from .scoring.model import ScoreResult, score_subject
from .scoring.reasons import reasons_with_text
from .scoring.trust import TrustScores, trust_scores
from .signals import announce_score_changes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecomputeOutcome:
    status: str  # "done" | "already_running" | "partial" (stopped at its deadline; resume with run_id)
    run_id: uuid.UUID | None = None
    subjects: int = 0
    snapshots_written: int = 0


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def latest_snapshot_queryset(keys: list[str] | None = None):
    """The newest snapshot of each subject (of the given ones, or of everyone), as one filterable queryset."""
    scope = CreditScore.objects.all() if keys is None else CreditScore.objects.filter(subject_key__in=keys)
    if _is_postgres():
        newest_ids = scope.order_by("subject_key", "-as_of", "-id").distinct("subject_key").values("pk")
        return CreditScore.objects.filter(pk__in=newest_ids)
    newest = CreditScore.objects.filter(subject_key=OuterRef("subject_key")).order_by("-as_of", "-id").values("pk")
    return scope.filter(pk=Subquery(newest[:1]))


def latest_snapshots(keys: list[str]) -> dict[str, CreditScore]:
    """The newest snapshot of each subject, in one query."""
    if not keys:
        return {}
    return {row.subject_key: row for row in latest_snapshot_queryset(keys)}


def _same(snapshot: CreditScore, result: ScoreResult, reasons: list[dict]) -> bool:
    return (
        snapshot.score == result.score
        and snapshot.model_version == params.MODEL_VERSION
        and snapshot.cap == result.cap
        and all(getattr(snapshot, name) == value for name, value in result.dimensions.items())
        and snapshot.reasons == reasons
    )


def _snapshot(key: str, result: ScoreResult, reasons: list[dict], *, as_of: datetime, run_id) -> CreditScore:
    kind, _sep, pk = key.partition(":")
    return CreditScore(
        subject_unit_id=int(pk) if kind == "unit" else None,
        subject_user_id=int(pk) if kind == "user" else None,
        subject_key=key,
        score=result.score,
        tier=result.tier,
        cap=result.cap,
        reasons=reasons,
        model_version=params.MODEL_VERSION,
        run_id=run_id,
        as_of=as_of,
        **result.dimensions,
    )


def score_keys(keys: list[str], as_of: datetime, trust: TrustScores) -> dict[str, tuple[ScoreResult, list[dict]]]:
    """Score many subjects as of one moment: the shared path of per-subject and full runs."""
    today = timezone.localtime(as_of).date()
    results = {}
    for key, inputs in build_inputs(keys, as_of, trust).items():
        result = score_subject(inputs, today)
        results[key] = (result, reasons_with_text(result.reasons))
    return results


def _write_batch(keys: list[str], as_of: datetime, run_id, trust: TrustScores) -> int:
    """Score a batch and write what changed: snapshots in bulk, then the units' cached columns."""
    results = score_keys(keys, as_of, trust)
    latest = latest_snapshots(list(results))
    # Nothing is written where a newer snapshot already exists (a per-subject recompute overtook a
    # full run): the history stays ordered and the units' columns never go back in time.
    fresh = [
        _snapshot(key, result, reasons, as_of=as_of, run_id=run_id)
        for key, (result, reasons) in results.items()
        if key not in latest or (latest[key].as_of <= as_of and not _same(latest[key], result, reasons))
    ]
    CreditScore.objects.bulk_create(fresh)
    _announce_changes(fresh, latest)
    _, unit_ids = split_keys([snapshot.subject_key for snapshot in fresh])
    if unit_ids:
        units = list(Unit.objects.filter(pk__in=unit_ids).only("pk", "credit_score", "credit_tier"))
        for unit in units:
            result = results[f"unit:{unit.pk}"][0]
            unit.credit_score, unit.credit_tier = result.score, result.tier
        Unit.objects.bulk_update(units, ["credit_score", "credit_tier"])
        catalogue_changed()  # the catalogue shows and sorts by these columns; bulk writes send no post_save
    return len(fresh)


def _announce_changes(fresh: list[CreditScore], previous: dict[str, CreditScore]) -> None:
    """Queue credit_score_changed (sent after commit, via the outbox) for each snapshot whose score or tier moved."""
    changes = []
    for snapshot in fresh:
        before = previous.get(snapshot.subject_key)
        old_score, old_tier = (before.score, before.tier) if before is not None else (None, None)
        if old_score != snapshot.score or old_tier != snapshot.tier:
            changes.append(
                {
                    "subject_key": snapshot.subject_key,
                    "old_score": old_score,
                    "new_score": snapshot.score,
                    "old_tier": old_tier,
                    "new_tier": snapshot.tier,
                    "as_of": snapshot.as_of.isoformat(),
                    "snapshot_id": snapshot.pk,
                }
            )
    if changes:
        outbox.enqueue(announce_score_changes, changes)


def _subject_lock(key: str) -> None:
    """Serialise recomputes of one subject (PostgreSQL; SQLite already serialises writers)."""
    if _is_postgres():
        kind, _sep, pk = key.partition(":")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [1 if kind == "unit" else 2, int(pk)])


def recompute_subject(subject_key: str, *, as_of: datetime | None = None) -> CreditScore | None:
    """Recompute one subject now (or as of a given moment); returns its latest snapshot."""
    as_of = as_of or timezone.now()
    trust = trust_scores(as_of)
    run_id = uuid.uuid4()
    with transaction.atomic():
        _subject_lock(subject_key)
        _write_batch([subject_key], as_of, run_id, trust)
    return latest_snapshots([subject_key]).get(subject_key)


class _FullRunLock:
    """A PostgreSQL session advisory lock (released by the server if the worker dies); a no-op on SQLite."""

    def __init__(self):
        self.held = False

    def __enter__(self) -> bool:
        if not _is_postgres():
            self.held = True
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [params.RECOMPUTE_ADVISORY_LOCK_KEY])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held and _is_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [params.RECOMPUTE_ADVISORY_LOCK_KEY])


_PHASES = (("unit", Unit), ("user", None))


def _ids_after(phase: str, after: int, limit: int) -> list[int]:
    model = Unit if phase == "unit" else get_user_model()
    return list(model.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:limit])


def recompute_all(
    *, run_id: uuid.UUID | str | None = None, as_of: datetime | None = None, deadline: float | None = None
) -> RecomputeOutcome:
    """Recompute every unit and user in batches; resumable by run_id; stops cleanly at `deadline` (monotonic)."""
    with _FullRunLock() as acquired:
        if not acquired:
            return RecomputeOutcome(status="already_running", run_id=None)
        run = CreditRun.objects.filter(run_id=run_id).first() if run_id else None
        if run is None:
            run = CreditRun.objects.create(
                run_id=run_id or uuid.uuid4(),
                scope=CreditRun.Scope.FULL,
                as_of=as_of or timezone.now(),
                model_version=params.MODEL_VERSION,
            )
        if run.status == CreditRun.Status.DONE:
            return RecomputeOutcome(
                status="done", run_id=run.run_id, subjects=run.subjects_seen, snapshots_written=run.snapshots_written
            )
        trust = trust_scores(run.as_of)
        phases = [name for name, _model in _PHASES]
        for phase in phases[phases.index(run.cursor_phase) :]:
            after = run.cursor_id if phase == run.cursor_phase else 0
            while True:
                if deadline is not None and time.monotonic() > deadline:
                    run.refresh_from_db()
                    return RecomputeOutcome(
                        status="partial",
                        run_id=run.run_id,
                        subjects=run.subjects_seen,
                        snapshots_written=run.snapshots_written,
                    )
                ids = _ids_after(phase, after, params.RECOMPUTE_BATCH_SIZE)
                if not ids:
                    break
                with transaction.atomic():
                    written = _write_batch([f"{phase}:{pk}" for pk in ids], run.as_of, run.run_id, trust)
                    CreditRun.objects.filter(pk=run.pk).update(
                        cursor_phase=phase,
                        cursor_id=ids[-1],
                        subjects_seen=F("subjects_seen") + len(ids),
                        snapshots_written=F("snapshots_written") + written,
                    )
                after = ids[-1]
                logger.info("credit run %s: %s batch up to id %s, %s snapshots", run.run_id, phase, after, written)
                if params.RECOMPUTE_BATCH_PAUSE_SECONDS:
                    time.sleep(params.RECOMPUTE_BATCH_PAUSE_SECONDS)
            if phase != phases[-1]:
                CreditRun.objects.filter(pk=run.pk).update(cursor_phase=phases[phases.index(phase) + 1], cursor_id=0)
        CreditRun.objects.filter(pk=run.pk).update(status=CreditRun.Status.DONE, finished_at=timezone.now())
        run.refresh_from_db()
        return RecomputeOutcome(
            status="done", run_id=run.run_id, subjects=run.subjects_seen, snapshots_written=run.snapshots_written
        )
