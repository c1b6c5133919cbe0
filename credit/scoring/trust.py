"""Relationships: trust propagated over endorsements from pre-trusted (verified) units.

Personalised PageRank (the EigenTrust idea): trust starts only at verified units and flows along
endorsements, each endorser splitting its trust among those it endorses. A unit's relationship
score is the trust it *receives* (not its own seed), relative to one verified unit's seed, capped.
A ring of unverified accounts receives nothing however densely it endorses itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from django.db.models import Count, Q
from scipy import sparse

from instruments.models import Unit

from .. import params
from ..models import Endorsement


@dataclass(frozen=True)
class TrustScores:
    by_unit: dict[int, float] = field(default_factory=dict)
    endorsements: dict[int, int] = field(default_factory=dict)  # active endorsements received, counted


def propagate_trust(unit_ids: list[int], pretrusted: set[int], edges: list[tuple[int, int]]) -> dict[int, float]:
    """Pure: relationship scores (0..TRUST_CAP) of units given the endorsement edges (endorser, endorsed)."""
    n = len(unit_ids)
    seeds = [i for i, unit_id in enumerate(unit_ids) if unit_id in pretrusted]
    if n == 0 or not seeds or not edges:
        return dict.fromkeys(unit_ids, 0.0)
    index = {unit_id: i for i, unit_id in enumerate(unit_ids)}
    rows = np.array([index[a] for a, b in edges if a in index and b in index], dtype=np.int64)
    cols = np.array([index[b] for a, b in edges if a in index and b in index], dtype=np.int64)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    out_degree = np.asarray(matrix.sum(axis=1)).ravel()
    inverse = np.divide(1.0, out_degree, out=np.zeros(n), where=out_degree > 0)
    transition = sparse.diags(inverse) @ matrix  # row-stochastic where a unit endorses anyone
    transposed = transition.T.tocsr()
    teleport = np.zeros(n)
    teleport[seeds] = 1.0 / len(seeds)
    dangling = out_degree == 0
    damping = params.TRUST_DAMPING
    trust = teleport.copy()
    for _ in range(params.TRUST_ITERATIONS):
        flow = transposed @ trust
        following = damping * (flow + trust[dangling].sum() * teleport) + (1 - damping) * teleport
        if np.abs(following - trust).sum() < params.TRUST_TOLERANCE:
            trust = following
            break
        trust = following
    received = damping * (transposed @ trust)
    reference = params.TRUST_REFERENCE * (1 - damping) / len(seeds)
    return {unit_id: float(min(params.TRUST_CAP, received[i] / reference)) for i, unit_id in enumerate(unit_ids)}


def trust_scores(as_of: datetime) -> TrustScores:
    """The whole graph as it stood at as_of (endorsements created before, not yet revoked)."""
    active = Q(created_at__lte=as_of) & (Q(revoked_at__isnull=True) | Q(revoked_at__gt=as_of))
    edges = list(
        Endorsement.objects.filter(active)
        .order_by("endorser_id", "endorsed_id")
        .values_list("endorser_id", "endorsed_id")
    )
    if not edges:
        return TrustScores()
    units = list(Unit.objects.order_by("pk").values_list("pk", "status"))
    pretrusted = {pk for pk, status in units if status == Unit.Status.VERIFIED}
    scores = propagate_trust([pk for pk, _status in units], pretrusted, edges)
    counts = dict(
        Endorsement.objects.filter(active)
        .order_by()
        .values_list("endorsed_id")
        .annotate(n=Count("id"))
        .values_list("endorsed_id", "n")
    )
    return TrustScores(by_unit={pk: s for pk, s in scores.items() if s > 0}, endorsements=counts)


# --- The current trust vector, cached --------------------------------------------------------------
# The propagation reads the whole endorsement graph: too much for every event's recompute. The vector
# as of now is kept per process and reused while its fingerprint holds: the endorsements (count, ids,
# latest creation and revocation) and the set of verified units (the seeds). Creating or revoking an
# endorsement or changing a unit's status changes the fingerprint, so the next recompute propagates
# again; the nightly full run propagates afresh anyway (as of its own moment).
_current: dict[str, object] = {}


_FINGERPRINT_SQL = (
    "(SELECT row(count(*), max(id), max(created_at), max(revoked_at), count(revoked_at))::text "
    " FROM credit_endorsement), "
    "(SELECT count(*)::text || ':' || coalesce(md5(string_agg(id::text, ',' ORDER BY id)), '') "
    " FROM instruments_unit WHERE status = %s), "
    "(SELECT row(count(*), max(id))::text FROM instruments_unit), "
    "(SELECT greatest(max(created_at), max(revoked_at)) FROM credit_endorsement)"
)


# On PostgreSQL the fingerprint is one row (issue 14.4): statement triggers on the endorsements and on the units'
# rows and statuses give it a new generation from a sequence (never reused, even after a rollback) and the latest
# moment an endorsement starts or ends; reading it is one index probe instead of aggregating both tables.
GENERATION_TABLE = "credit_trust_generation"
GENERATION_TRIGGER = "credit_trust_generation_bump"

GENERATION_INSTALL_SQL = [
    f"CREATE SEQUENCE IF NOT EXISTS {GENERATION_TABLE}_seq",
    f"CREATE TABLE IF NOT EXISTS {GENERATION_TABLE} (id int PRIMARY KEY CHECK (id = 1), generation bigint NOT NULL, "
    "latest timestamptz)",
    f"INSERT INTO {GENERATION_TABLE} (id, generation, latest) SELECT 1, nextval('{GENERATION_TABLE}_seq'), "  # noqa: S608
    "(SELECT greatest(max(created_at), max(revoked_at)) FROM credit_endorsement) ON CONFLICT (id) DO NOTHING",
    f"""CREATE OR REPLACE FUNCTION {GENERATION_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {GENERATION_TABLE} SET generation = nextval('{GENERATION_TABLE}_seq'),
            latest = (SELECT greatest(max(created_at), max(revoked_at)) FROM credit_endorsement)
        WHERE id = 1;
        RETURN NULL;
    END;
    $$""",  # noqa: S608
    f"DROP TRIGGER IF EXISTS {GENERATION_TRIGGER} ON credit_endorsement",
    f"CREATE TRIGGER {GENERATION_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credit_endorsement "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {GENERATION_TRIGGER}()",
    f"DROP TRIGGER IF EXISTS {GENERATION_TRIGGER} ON instruments_unit",
    f"CREATE TRIGGER {GENERATION_TRIGGER} AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF status ON instruments_unit "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {GENERATION_TRIGGER}()",
]
GENERATION_UNINSTALL_SQL = [
    f"DROP TRIGGER IF EXISTS {GENERATION_TRIGGER} ON credit_endorsement",
    f"DROP TRIGGER IF EXISTS {GENERATION_TRIGGER} ON instruments_unit",
    f"DROP FUNCTION IF EXISTS {GENERATION_TRIGGER}()",
    f"DROP TABLE IF EXISTS {GENERATION_TABLE}",
    f"DROP SEQUENCE IF EXISTS {GENERATION_TABLE}_seq",
]
_GENERATION_SQL = f"(SELECT row(generation, latest) FROM {GENERATION_TABLE} WHERE id = 1)::text"  # noqa: S608
_has_generation: dict[str, bool] = {}


def _generation_kept(cursor, alias: str) -> bool:
    """Whether this database keeps the trust generation (the migration applied), asked once per process."""
    known = _has_generation.get(alias)
    if known is None:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [GENERATION_TABLE])
        known = _has_generation[alias] = bool(cursor.fetchone()[0])
    return known


def lock_and_fingerprint(lock_sql: str, lock_args: list) -> tuple | None:
    """PostgreSQL: run `SELECT <lock_sql>` and read the trust fingerprint in the same round trip."""
    from django.db import connection

    with connection.cursor() as cursor:
        if _generation_kept(cursor, connection.alias):
            cursor.execute(
                f"SELECT {lock_sql}, {_GENERATION_SQL}, "  # noqa: S608
                f"(SELECT latest FROM {GENERATION_TABLE} WHERE id = 1)",
                lock_args,
            )
            *_lock, generation, latest = cursor.fetchone()
            return _fingerprint_checked(generation, "", "", latest)
        cursor.execute(f"SELECT {lock_sql}, {_FINGERPRINT_SQL}", [*lock_args, Unit.Status.VERIFIED])
        *_lock, endorsements, seeds, units, latest = cursor.fetchone()
    return _fingerprint_checked(endorsements, seeds, units, latest)


def _fingerprint_checked(endorsements, seeds, units, latest) -> tuple | None:
    from django.utils import timezone

    if latest is not None and latest > timezone.now():
        return None
    return (endorsements, seeds, units)


def _fingerprint() -> tuple | None:
    """One cheap query; None when an endorsement starts or ends in the future (the graph moves with time)."""
    from django.db import connection
    from django.utils import timezone

    endorsements: object
    seeds: object
    units: object
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _generation_kept(cursor, connection.alias):
            cursor.execute(f"SELECT {_GENERATION_SQL}, (SELECT latest FROM {GENERATION_TABLE} WHERE id = 1)")  # noqa: S608
            generation, latest = cursor.fetchone()
            endorsements, seeds, units = generation, "", ""
        elif connection.vendor == "postgresql":
            cursor.execute(f"SELECT {_FINGERPRINT_SQL}", [Unit.Status.VERIFIED])
            endorsements, seeds, units, latest = cursor.fetchone()
        else:
            cursor.execute(
                "SELECT count(*), max(id), max(created_at), max(revoked_at), count(revoked_at) FROM credit_endorsement"
            )
            endorsements = tuple(cursor.fetchone())
            cursor.execute("SELECT id FROM instruments_unit WHERE status = %s ORDER BY id", [Unit.Status.VERIFIED])
            seeds = tuple(row[0] for row in cursor.fetchall())
            cursor.execute("SELECT count(*), max(id) FROM instruments_unit")
            units = tuple(cursor.fetchone())
            latest = max((value for value in endorsements[2:4] if value is not None), default=None)
            if isinstance(latest, str):
                from django.utils.dateparse import parse_datetime

                latest = parse_datetime(latest)
                if latest is not None and timezone.is_naive(latest):
                    latest = timezone.make_aware(latest, UTC)
    return _fingerprint_checked(endorsements, seeds, units, latest)


_UNREAD = object()


def current_trust_scores(fingerprint=_UNREAD) -> TrustScores:
    """trust_scores(now), propagated again only when endorsements or the verified units changed.

    `fingerprint`: one already read (lock_and_fingerprint), to save a round trip.
    """
    from django.utils import timezone

    if fingerprint is _UNREAD:
        fingerprint = _fingerprint()
    if fingerprint is not None and _current.get("fingerprint") == fingerprint:
        return _current["scores"]  # type: ignore[return-value]
    scores = trust_scores(timezone.now())
    _current.clear()
    if fingerprint is not None:
        _current.update(fingerprint=fingerprint, scores=scores)
    return scores
