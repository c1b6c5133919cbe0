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
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone, translation

from instruments.catalogue_cache import catalogue_changed
from instruments.models import Unit
from sharing_platform import outbox

from . import params
from .models import CreditRun, CreditRunBatch, CreditScore
from .recompute_ahead import ReadAhead, ids_after, read_ahead_possible, same_score
from .scoring import summary
from .scoring.inputs import build_inputs
from .scoring.ledger import stage_groups, unstage_groups
from .scoring.model import ScoreResult, score_subject
from .scoring.reasons import reasons_with_text
from .scoring.sets import BatchScores, score_keys_set_based
from .scoring.trust import TrustScores, current_trust_scores, lock_and_fingerprint, trust_scores
from .signals import CHANGE_FIELDS, announce_score_changes
from .snapshots import NewSnapshot, PreviousSnapshot, ReasonTexts, insert_snapshots, latest_in_range

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecomputeOutcome:
    status: str  # "done" | "already_running" | "partial" (stopped at its deadline; resume with run_id)
    run_id: uuid.UUID | None = None
    subjects: int = 0
    snapshots_written: int = 0
    batches: int = 0  # parallel runs: batches queued


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
    if len(keys) == 1:  # the per-event path: one index probe (credit_score_latest)
        table = CreditScore._meta.db_table
        rows = list(
            CreditScore.objects.raw(
                f"SELECT * FROM {table} WHERE subject_key = %s ORDER BY as_of DESC, id DESC LIMIT 1",  # noqa: S608
                [keys[0]],
            )
        )
        return {rows[0].subject_key: rows[0]} if rows else {}
    return {row.subject_key: row for row in latest_snapshot_queryset(keys)}


def score_keys(keys: list[str], as_of: datetime, trust: TrustScores) -> dict[str, tuple[ScoreResult, list[dict]]]:
    """The reference implementation (scoring/model.py, one subject at a time, per-day buckets).

    Recomputations use the set-based scoring (scoring/sets.py); tests compare the two subject by subject.
    """
    today = timezone.localtime(as_of).date()
    results = {}
    for key, inputs in build_inputs(keys, as_of, trust).items():
        result = score_subject(inputs, today)
        results[key] = (result, reasons_with_text(result.reasons))
    return results


def _write_batch(
    keys: list[str],
    as_of: datetime,
    run_id,
    trust: TrustScores,
    id_range: tuple[str, int, int] | None = None,
    *,
    staged: bool = False,
    prepared: dict[str, BatchScores] | None = None,
) -> tuple[int, dict[str, CreditScore]]:
    """Score a batch (set-based) and write what changed: snapshots in bulk, then the units' cached columns.

    Returns the number written and, for a single subject, its latest snapshot after the batch (new or previous).
    With staged, the batch's ledger groups come from the table its phase was staged into (recompute_all).
    With prepared, the batch was scored already (a sequential run's read-ahead, recompute_ahead.py).
    """
    batches = prepared
    if batches is None:
        batches = score_keys_set_based(keys, as_of, trust, id_range, staged=staged)[0]
    scored = [key for batch in batches.values() for key in batch.keys]
    latest: dict[str, CreditScore | PreviousSnapshot]
    latest = latest_in_range(id_range) if id_range is not None and _is_postgres() else latest_snapshots(scored)  # type: ignore[assignment]
    fresh: list[NewSnapshot] = []
    unit_scores: dict[int, tuple[int, str]] = {}
    with translation.override("en"):  # the stored copy of the reasons' text is English
        texts = ReasonTexts()
        for batch in batches.values():
            is_unit = batch.subject_type == "unit"
            for i, key in enumerate(batch.keys):
                before = latest.get(key)
                if before is not None:
                    # Nothing is written where a newer snapshot already exists (a per-subject recompute overtook a
                    # full run): the history stays ordered and the units' columns never go back in time.
                    if before.as_of > as_of:
                        continue
                    # Reasons are built only for subjects whose score moved (a subject without a snapshot always has).
                    if same_score(before, batch.result(key, explain=False)):
                        continue
                rendered = batch.rendered.get(key)  # by the read-ahead, for the subjects it saw changed
                score, tier, cap, units, reasons = batch.row(i, explain=rendered is None)
                fresh.append(NewSnapshot(key, score, tier, cap, units, rendered or texts.json(reasons)))
                if is_unit:
                    unit_scores[int(key[5:])] = (score, tier)
    reserved = [pk for batch in batches.values() for pk in batch.reserved_ids]
    insert_snapshots(fresh, as_of=as_of, run_id=run_id, reserved=reserved)
    _announce_changes(fresh, latest, as_of)
    if unit_scores:
        _update_unit_columns(unit_scores)
        catalogue_changed()  # the catalogue shows and sorts by these columns; bulk writes send no post_save
    current: dict[str, CreditScore] = {}
    if len(keys) == 1 and id_range is None:  # recompute_subject: its latest snapshots are model instances
        current = {key: snapshot for key, snapshot in latest.items() if isinstance(snapshot, CreditScore)}
        current.update({row.key: row.model(as_of=as_of, run_id=run_id) for row in fresh})
    return len(fresh), current


def _update_unit_columns(unit_scores: dict[int, tuple[int, str]]) -> None:
    """The units' cached credit columns, in one statement (PostgreSQL: UPDATE ... FROM unnest(arrays))."""
    if not _is_postgres():
        units = list(Unit.objects.filter(pk__in=list(unit_scores)).only("pk", "credit_score", "credit_tier"))
        for unit in units:
            unit.credit_score, unit.credit_tier = unit_scores[unit.pk]
        Unit.objects.bulk_update(units, ["credit_score", "credit_tier"])
        return
    ids = sorted(unit_scores)  # a fixed order: concurrent writers lock the rows in the same order
    table = Unit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} u SET credit_score = x.s, credit_tier = x.t "  # noqa: S608 (our own table name)
            "FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS x(id, s, t) "
            "WHERE u.id = x.id AND (u.credit_score IS DISTINCT FROM x.s OR u.credit_tier <> x.t)",
            [ids, [unit_scores[pk][0] for pk in ids], [unit_scores[pk][1] for pk in ids]],
        )


def _announce_changes(
    fresh: list[NewSnapshot],
    previous: dict[str, CreditScore] | dict[str, CreditScore | PreviousSnapshot],
    as_of: datetime,
) -> None:
    """Queue credit_score_changed (sent after commit, via the outbox) for each snapshot whose score or tier moved.

    One message per batch, its changes as columns (signals.CHANGE_FIELDS): a list per field, not a dict per change.
    """
    columns: dict[str, list] = {name: [] for name in CHANGE_FIELDS}
    keys, old_scores, new_scores = columns["subject_key"], columns["old_score"], columns["new_score"]
    old_tiers, new_tiers, snapshot_ids = columns["old_tier"], columns["new_tier"], columns["snapshot_id"]
    for snapshot in fresh:
        before = previous.get(snapshot.key)
        old_score, old_tier = (before.score, before.tier) if before is not None else (None, None)
        if old_score != snapshot.score or old_tier != snapshot.tier:
            keys.append(snapshot.key)
            old_scores.append(old_score)
            new_scores.append(snapshot.score)
            old_tiers.append(old_tier)
            new_tiers.append(snapshot.tier)
            snapshot_ids.append(snapshot.pk)
    if keys:
        outbox.enqueue(announce_score_changes, columns, as_of.isoformat())


def _subject_lock(key: str, *, trust_now: bool) -> TrustScores | None:
    """Serialise recomputes of one subject (PostgreSQL; SQLite already serialises writers).

    With trust_now, also return the current trust vector; on PostgreSQL its cache's fingerprint is read
    in the same round trip as the lock.
    """
    if not _is_postgres():
        return current_trust_scores() if trust_now else None
    kind, _sep, pk = key.partition(":")
    lock_args = [1 if kind == "unit" else 2, int(pk)]
    # In the same round trip: this transaction commits without waiting for the WAL flush. It writes only
    # derived data (a snapshot recomputable from the ledger, its announcement and the unit's cached columns,
    # atomically): a server crash can lose the last few milliseconds of them together, never half of them,
    # and the next event's or the nightly recompute writes them again. The ledger event itself was committed
    # durably by its own transaction.
    lock_sql = "set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(%s, %s)"
    if trust_now:
        return current_trust_scores(lock_and_fingerprint(lock_sql, lock_args))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {lock_sql}", lock_args)
    return None


def recompute_subject(subject_key: str, *, as_of: datetime | None = None) -> CreditScore | None:
    """Recompute one subject now (or as of a given moment); returns its latest snapshot."""
    run_id = uuid.uuid4()
    with transaction.atomic():
        current_trust = _subject_lock(subject_key, trust_now=as_of is None)
        trust = current_trust if current_trust is not None else trust_scores(as_of or timezone.now())
        _written, current = _write_batch([subject_key], as_of or timezone.now(), run_id, trust)
    return current.get(subject_key)


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


def recompute_all(
    *, run_id: uuid.UUID | str | None = None, as_of: datetime | None = None, deadline: float | None = None
) -> RecomputeOutcome:
    """Recompute every unit and user in batches; resumable by run_id; stops cleanly at `deadline` (monotonic)."""
    with _FullRunLock() as acquired:
        if not acquired or _other_full_run_running(run_id):
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
        # On PostgreSQL the batches read the ledger summary (scoring/summary.py): its rows appended since the
        # last run are folded first, or the whole summary is rebuilt when it was kept with other parameters.
        # Without it, the ledger of the rest of the run is grouped once, in one pass over the ledger, into a
        # temporary table that the batches read by id range (scoring/ledger.py).
        staged = _is_postgres() and not _summary_ready() and _worth_staging()
        if staged:
            stage_groups(run.cursor_phase, run.cursor_id, run.as_of)
        ahead = ReadAhead(run, trust) if read_ahead_possible(staged) and _worth_reading_ahead() else None
        try:
            for phase in phases[phases.index(run.cursor_phase) :]:
                after = run.cursor_id if phase == run.cursor_phase else 0
                outcome = _recompute_phase(run, phase, after, trust, deadline, staged=staged, ahead=ahead)
                if outcome is not None:
                    return outcome
                if phase != phases[-1]:
                    CreditRun.objects.filter(pk=run.pk).update(
                        cursor_phase=phases[phases.index(phase) + 1], cursor_id=0
                    )
        finally:
            if ahead is not None:
                ahead.close()
            if staged:
                unstage_groups()
        CreditRun.objects.filter(pk=run.pk).update(status=CreditRun.Status.DONE, finished_at=timezone.now())
        run.refresh_from_db()
        return RecomputeOutcome(
            status="done", run_id=run.run_id, subjects=run.subjects_seen, snapshots_written=run.snapshots_written
        )


STAGE_FROM_BATCHES = 4  # a run of more batches than this reads the ledger once (staged), fewer batch by batch


def _summary_ready() -> bool:
    """Fold the ledger summary (or rebuild it for the code's parameters); whether the batches can read it."""
    if not summary.state_matches():
        if not summary.installed():
            return False
        summary.rebuild()
    else:
        summary.fold()
    return True


READ_AHEAD_FROM_BATCHES = 3  # with fewer batches nothing overlaps: the second connection's start is all it adds


def _subjects_over_batches(batches: int) -> bool:
    """More subjects (units and users) than `batches` full batches."""
    subjects = Unit.objects.count() + get_user_model().objects.count()
    return subjects > batches * params.RECOMPUTE_BATCH_SIZE


def _worth_reading_ahead() -> bool:
    return _subjects_over_batches(READ_AHEAD_FROM_BATCHES - 1)


def _worth_staging() -> bool:
    """Staging costs a temporary table, a sort and two indexes: worth it once the batches' reads add up."""
    return _subjects_over_batches(STAGE_FROM_BATCHES)


def _commit_without_waiting() -> None:
    """This transaction commits without waiting for the WAL flush (PostgreSQL; see _subject_lock).

    A sequential run's batch writes derived data and its cursor together: a server crash can lose the last
    batches with their cursor moves, all or nothing, and the run (whose connection died with the server)
    resumes from the cursor that did reach the disk.
    """
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', 'off', true)")


def _recompute_phase(
    run: CreditRun,
    phase: str,
    after: int,
    trust: TrustScores,
    deadline: float | None,
    *,
    staged: bool,
    ahead: ReadAhead | None,
) -> RecomputeOutcome | None:
    """One phase of a sequential run (units or users after an id), batch by batch; an outcome if it stopped early.

    On PostgreSQL the next batch is read and scored on a second connection while this one writes the current
    batch (recompute_ahead.py): the database's work on the write (COPY, indexes, foreign-key checks at commit)
    and the reads, numpy and reasons of the next batch (or of the next phase's first) overlap instead of taking
    turns.
    """
    if ahead is not None:
        ahead.start(phase, after)
    while True:
        if deadline is not None and time.monotonic() > deadline:
            run.refresh_from_db()
            return RecomputeOutcome(
                status="partial",
                run_id=run.run_id,
                subjects=run.subjects_seen,
                snapshots_written=run.snapshots_written,
            )
        prepared = None
        if ahead is not None:
            ids, prepared = ahead.result(phase)
            if ids:
                ahead.submit(phase, ids[-1])  # the next batch (or phase), read while this one is written
        else:
            ids = ids_after(phase, after, params.RECOMPUTE_BATCH_SIZE)
        if not ids:
            break
        with transaction.atomic():
            _commit_without_waiting()
            written, _current = _write_batch(
                [f"{phase}:{pk}" for pk in ids],
                run.as_of,
                run.run_id,
                trust,
                (phase, ids[0], ids[-1]),
                staged=staged,
                prepared=prepared,
            )
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
    return None


# --- Parallel full runs: batches that Celery workers take side by side -----------------------------
# The coordinator (recompute_all_task) plans a run's batches under the advisory lock and queues one
# task per batch through the outbox; any number of workers take them. Each batch commits its snapshots,
# its own "done" mark and the run's counters in one transaction, so an interrupted batch leaves the
# previous snapshots as they were and is simply taken again (acks_late redelivery). Two full runs never
# overlap: a run is planned only while no other full run is running (sequential or parallel).
RUN_STALE_AFTER = timedelta(hours=12)  # a full run without progress for this long no longer blocks a new one
_LAST_PHASE_END = 2**62


def _other_full_run_running(run_id) -> bool:
    others = CreditRun.objects.filter(
        scope=CreditRun.Scope.FULL, status=CreditRun.Status.RUNNING, started_at__gte=timezone.now() - RUN_STALE_AFTER
    )
    if run_id:
        others = others.exclude(run_id=run_id)
    return others.exists()


def _plan_batches(run: CreditRun) -> None:
    """Cut the subjects (units, then users, by id) into batches of RECOMPUTE_BATCH_SIZE; the last one is open-ended."""
    batches = []
    for phase, _model in _PHASES:
        model = Unit if phase == "unit" else get_user_model()
        ids = model.objects.order_by("pk").values_list("pk", flat=True)
        starts = list(ids[:: params.RECOMPUTE_BATCH_SIZE]) if ids.exists() else [1]
        for n, first in enumerate(starts):
            last = starts[n + 1] - 1 if n + 1 < len(starts) else _LAST_PHASE_END
            batches.append(CreditRunBatch(run=run, phase=phase, first_id=first if n else 0, last_id=last))
    CreditRunBatch.objects.bulk_create(batches)


def recompute_all_plan(
    *, run_id: uuid.UUID | str | None = None, as_of: datetime | None = None, queue: bool = False
) -> RecomputeOutcome:
    """Start (or resume) a parallel full run; with queue=True its pending batches go to the workers (outbox)."""
    with _FullRunLock() as acquired:
        if not acquired or _other_full_run_running(run_id):
            return RecomputeOutcome(status="already_running")
        with transaction.atomic():
            run = CreditRun.objects.filter(run_id=run_id).first() if run_id else None
            if run is None:
                run = CreditRun.objects.create(
                    run_id=run_id or uuid.uuid4(),
                    scope=CreditRun.Scope.FULL,
                    as_of=as_of or timezone.now(),
                    model_version=params.MODEL_VERSION,
                    cursor_phase="batches",
                )
            if run.status == CreditRun.Status.DONE:
                return _outcome(run)
            if not run.batches.exists():
                if _is_postgres():
                    _summary_ready()  # the batches read the ledger summary: folded (or rebuilt) once, here
                _plan_batches(run)
            pending = list(run.batches.filter(done_at=None).values_list("pk", flat=True))
            if queue:
                from .tasks import recompute_batch_task  # the tasks module imports this one

                for batch_id in pending:
                    outbox.enqueue(recompute_batch_task, batch_id)
        return RecomputeOutcome(status="planned", run_id=run.run_id, batches=len(pending))


def _outcome(run: CreditRun, status: str | None = None) -> RecomputeOutcome:
    return RecomputeOutcome(
        status=status or ("done" if run.status == CreditRun.Status.DONE else "running"),
        run_id=run.run_id,
        subjects=run.subjects_seen,
        snapshots_written=run.snapshots_written,
    )


_run_trust: dict[uuid.UUID, TrustScores] = {}


def _trust_for_run(run: CreditRun) -> TrustScores:
    """The trust vector as of the run's moment, propagated once per process and run."""
    trust = _run_trust.get(run.run_id)
    if trust is None:
        _run_trust.clear()
        trust = _run_trust[run.run_id] = trust_scores(run.as_of)
    return trust


def recompute_batch(batch_id: int) -> str:
    """Do one batch of a parallel run ("done", "already_done", or "busy" when another worker holds it)."""
    with transaction.atomic():
        batch = (
            CreditRunBatch.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None:
            return "busy"
        if batch.done_at is not None:
            return "already_done"
        run = batch.run
        model = Unit if batch.phase == "unit" else get_user_model()
        ids = list(
            model.objects.filter(pk__gte=batch.first_id, pk__lte=batch.last_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        written = 0
        for start in range(0, len(ids), params.RECOMPUTE_BATCH_SIZE):
            chunk = ids[start : start + params.RECOMPUTE_BATCH_SIZE]
            count, _current = _write_batch(
                [f"{batch.phase}:{pk}" for pk in chunk],
                run.as_of,
                run.run_id,
                _trust_for_run(run),
                (batch.phase, chunk[0], chunk[-1]),
            )
            written += count
        CreditRunBatch.objects.filter(pk=batch.pk).update(
            done_at=timezone.now(), subjects=len(ids), snapshots_written=written
        )
        # Locks the run's row until commit: the batches' last steps run one after another, so exactly
        # one of them sees no batch left and closes the run.
        CreditRun.objects.filter(pk=run.pk).update(
            subjects_seen=F("subjects_seen") + len(ids), snapshots_written=F("snapshots_written") + written
        )
        if not run.batches.filter(done_at=None).exists():
            CreditRun.objects.filter(pk=run.pk).update(status=CreditRun.Status.DONE, finished_at=timezone.now())
    logger.info("credit run %s: batch %s (%s subjects, %s snapshots)", run.run_id, batch, len(ids), written)
    if params.RECOMPUTE_BATCH_PAUSE_SECONDS:
        time.sleep(params.RECOMPUTE_BATCH_PAUSE_SECONDS)
    return "done"
