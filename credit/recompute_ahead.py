"""A sequential full run's read-ahead: its next batch read and scored on a second connection (PostgreSQL).

recompute._recompute_phase writes batch k (COPY of its snapshots, their indexes, the foreign-key checks at
commit: the database's work) while ReadAhead reads batch k + 1 (its ids, facts and ledger summary, the
vectorised score, the reasons of the subjects whose score moved): the two overlap instead of taking turns.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import translation

from instruments.models import Unit

from . import params
from .models import CreditRun, CreditScore
from .scoring.model import ScoreResult
from .scoring.sets import BatchScores, score_keys_set_based
from .scoring.trust import TrustScores
from .snapshots import COPY_FROM_ROWS, PreviousSnapshot, ReasonTexts, draw_ids, latest_in_range


def same_score(snapshot: CreditScore | PreviousSnapshot, result: ScoreResult) -> bool:
    """Same score, cap, dimensions and model: nothing to write (the reasons are not rebuilt for it)."""
    return (
        snapshot.score == result.score
        and snapshot.model_version == params.MODEL_VERSION
        and snapshot.cap == result.cap
        and all(getattr(snapshot, name) == value for name, value in result.dimensions.items())
    )


def ids_after(phase: str, after: int, limit: int) -> list[int]:
    model = Unit if phase == "unit" else get_user_model()
    return list(model.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:limit])


PHASES = ("unit", "user")  # a full run's phases, in order (recompute._PHASES)
Prepared = tuple[str, list[int], dict[str, BatchScores] | None]  # phase, ids, scored batches
READ_AHEAD = True  # a sequential run on PostgreSQL reads and scores its next batch on a second connection


def read_ahead_possible(staged: bool) -> bool:
    """Not inside a caller's transaction (a second connection would not see its uncommitted rows), not with the
    staged ledger (a temporary table of this connection), PostgreSQL only (SQLite serialises its connections)."""
    return READ_AHEAD and connection.vendor == "postgresql" and not staged and not connection.in_atomic_block


class ReadAhead:
    """One thread with its own connection: the ids and scores of a sequential run's next batch.

    It only reads (the subjects' ids, their facts and the ledger summary as of the run's moment, which later
    writes cannot change: a fact recorded after it is read from the ledger, as in the batch itself). What is
    decided against the previous snapshots (what changed, what a newer snapshot overtook) and every write stay
    in the batch's own transaction on the run's connection.
    """

    def __init__(self, run: CreditRun, trust: TrustScores):
        self.run, self.trust = run, trust
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="credit-read-ahead")
        self.future: Future[Prepared] | None = None
        self.kept: Prepared | None = None  # the next phase's first batch, read at the end of a phase

    def _read(self, phase: str, after: int) -> Prepared:
        """The batch of `phase` after an id; at the end of the units, the users' first batch."""
        ids = ids_after(phase, after, params.RECOMPUTE_BATCH_SIZE)
        if not ids:
            return self._read(PHASES[PHASES.index(phase) + 1], 0) if phase != PHASES[-1] else (phase, ids, None)
        keys = [f"{phase}:{pk}" for pk in ids]
        id_range = (phase, ids[0], ids[-1])
        as_of = self.run.as_of
        with transaction.atomic():
            batches, _facts = score_keys_set_based(keys, as_of, self.trust, id_range)
            latest = latest_in_range(id_range)
        # The reasons of the subjects whose score moved since their latest snapshot as seen here (the batch's
        # transaction reads the snapshots again and renders those of any subject a concurrent write changed).
        with translation.override("en"):
            texts = ReasonTexts()
            for batch in batches.values():
                for i, key in enumerate(batch.keys):
                    before = latest.get(key)
                    if before is None or (
                        before.as_of <= as_of and not same_score(before, batch.result(key, explain=False))
                    ):
                        batch.rendered[key] = texts.json(batch.reason_items(key, i))
                if len(batch.rendered) >= COPY_FROM_ROWS:  # the ids of their snapshots, for the COPY
                    batch.reserved_ids = draw_ids(len(batch.rendered))
        return phase, ids, batches

    def start(self, phase: str, after: int) -> None:
        """At the start of a phase: read its first batch, unless the end of the previous phase already did."""
        if self.kept is None and self.future is None:
            self.submit(phase, after)

    def submit(self, phase: str, after: int) -> None:
        self.future = self.executor.submit(self._read, phase, after)

    def result(self, phase: str) -> tuple[list[int], dict[str, BatchScores] | None]:
        """The next batch of `phase` (no ids: the phase is over; the next one's first batch is kept for it)."""
        if self.kept is not None:
            prepared, self.kept = self.kept, None
        else:
            assert self.future is not None  # noqa: S101 (start() or submit() comes first)
            prepared, self.future = self.future.result(), None
        if prepared[0] != phase:
            self.kept = prepared
            return [], None
        return prepared[1], prepared[2]

    def close(self) -> None:
        if self.future is not None:
            self.future.cancel()
        self.executor.submit(connections.close_all).result()  # this thread's connection
        self.executor.shutdown(wait=True)
