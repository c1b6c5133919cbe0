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
from .snapshots import PreviousSnapshot, ReasonTexts, latest_in_range


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

    def __init__(self, run: CreditRun, phase: str, trust: TrustScores):
        self.run, self.phase, self.trust = run, phase, trust
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="credit-read-ahead")
        self.future: Future[tuple[list[int], dict[str, BatchScores] | None]] | None = None

    def _read(self, after: int) -> tuple[list[int], dict[str, BatchScores] | None]:
        ids = ids_after(self.phase, after, params.RECOMPUTE_BATCH_SIZE)
        if not ids:
            return ids, None
        keys = [f"{self.phase}:{pk}" for pk in ids]
        id_range = (self.phase, ids[0], ids[-1])
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
        return ids, batches

    def submit(self, after: int) -> None:
        self.future = self.executor.submit(self._read, after)

    def result(self) -> tuple[list[int], dict[str, BatchScores] | None]:
        assert self.future is not None  # noqa: S101 (submit() comes first)
        return self.future.result()

    def close(self) -> None:
        if self.future is not None:
            self.future.cancel()
        self.executor.submit(connections.close_all).result()  # this thread's connection
        self.executor.shutdown(wait=True)
