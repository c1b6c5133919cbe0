"""Aggregate the ledger and the facts around it into SubjectInputs, for many subjects at once.

Set-based: one grouped query over the ledger per batch (per subject, kind, polarity, severity and
local day), plus one query each for identity facts (units, memberships, users, people verified by
their institution) and external reports. Events later than as_of
and reversed events are left out, and so is everything *recorded* after as_of (a back-dated fact
reported later must not change an old snapshot), so a snapshot can be reproduced from its as_of.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from identity.models import PersonAccount
from identity.selectors import users_verified_by_institution
from instruments.models import Membership, Unit

from .. import params
from ..models import CreditEvent, ExternalCreditReport
from .model import Bucket, ExternalFact, IdentityFacts, SubjectInputs
from .trust import TrustScores


def split_keys(keys: list[str]) -> tuple[list[int], list[int]]:
    users: list[int]
    units: list[int]
    users, units = [], []
    for key in keys:
        kind, _sep, pk = key.partition(":")
        (units if kind == "unit" else users).append(int(pk))
    return users, units


def reversed_event_ids(keys: list[str] | None, as_of: datetime) -> set[int]:
    """Events cancelled by a reversal recorded by as_of (keys None: every subject)."""
    ids: set[int] = set()
    rows = CreditEvent.objects.filter(kind=CreditEvent.Kind.REVERSAL, occurred_at__lte=as_of, recorded_at__lte=as_of)
    if keys is not None:
        rows = rows.filter(subject_key__in=keys)
    for reverses_id, details in rows.values_list("reverses_id", "details"):
        target = reverses_id or (details or {}).get("reverses")
        if target:
            ids.add(int(target))
    return ids


def ledger_buckets(keys: list[str], as_of: datetime) -> dict[str, list[Bucket]]:
    rows = (
        CreditEvent.objects.filter(subject_key__in=keys, occurred_at__lte=as_of, recorded_at__lte=as_of)
        .exclude(kind=CreditEvent.Kind.REVERSAL)
        .exclude(pk__in=reversed_event_ids(keys, as_of))
        .annotate(day=TruncDate("occurred_at"))
        .order_by()
        .values("subject_key", "kind", "polarity", "severity", "day")
        .annotate(
            total_weight=Sum("weight"),
            n=Count("id", filter=~Q(weight=0)),  # facts that count (issue 18.3: weight 0 counts nothing)
            total_value_weight=Sum(
                ExpressionWrapper(F("value") * F("weight"), output_field=DecimalField(max_digits=20, decimal_places=8))
            ),
        )
    )
    buckets: dict[str, list[Bucket]] = defaultdict(list)
    for row in rows:
        buckets[row["subject_key"]].append(
            Bucket(
                kind=row["kind"],
                polarity=row["polarity"],
                severity=row["severity"],
                day=row["day"],
                weight=float(row["total_weight"] or 0),
                count=row["n"],
                value_weight=float(row["total_value_weight"] or 0),
            )
        )
    for rows_of_subject in buckets.values():
        rows_of_subject.sort(key=lambda b: (b.kind, b.polarity, b.severity, b.day))
    return buckets


IdRange = tuple[str, int, int]  # ("user" | "unit", first id, last id): a full run's batch, read by id range


def external_facts(keys: list[str], as_of: datetime, id_range: IdRange | None = None) -> dict[str, list[ExternalFact]]:
    """Current external reports per subject (one query; by id range for a full run's batch)."""
    external: dict[str, list[ExternalFact]] = defaultdict(list)
    scope: dict[str, object]
    if id_range is not None:
        phase, first, last = id_range
        scope = (
            {"subject_unit_id__gte": first, "subject_unit_id__lte": last}
            if phase == "unit"
            else {"subject_user_id__gte": first, "subject_user_id__lte": last}
        )
    else:
        scope = {"subject_key__in": keys}
    reports = (
        ExternalCreditReport.objects.filter(
            **scope, reported_at__lte=as_of, expires_at__gt=as_of, created_at__lte=as_of
        )
        .order_by("subject_key", "reported_at", "pk")
        .values_list("subject_key", "source", "score", "range_min", "range_max", "reported_at")
    )
    for key, source, score, low, high, reported_at in reports:
        external[key].append(
            ExternalFact(
                source=source,
                normalised=float((score - low) / (high - low)),
                reported_on=timezone.localtime(reported_at).date(),
            )
        )
    return external


def identity_facts(
    keys: list[str], as_of: datetime, trust: TrustScores, id_range: IdRange | None = None
) -> tuple[dict[str, IdentityFacts], dict[str, float], dict[str, int]]:
    """Identity facts, relationship scores and endorsement counts of the subjects that exist (fixed queries).

    With id_range (the same subjects as `keys`, a full run's batch) the rows are read by id range.
    """
    today = timezone.localtime(as_of).date()
    user_ids, unit_ids = split_keys(keys)
    identities: dict[str, IdentityFacts] = {}
    relationships: dict[str, float] = {}
    endorsements: dict[str, int] = {}
    if unit_ids:
        units = (
            Unit.objects.filter(pk__gte=id_range[1], pk__lte=id_range[2])
            if id_range is not None and id_range[0] == "unit"
            else Unit.objects.filter(pk__in=unit_ids)
        )
        for pk, status, accreditations in units.values_list("pk", "status", "accreditations"):
            key = f"unit:{pk}"
            identities[key] = IdentityFacts(unit_status=status, accreditations=len(accreditations or []))
            relationships[key] = trust.by_unit.get(pk, 0.0)
            endorsements[key] = trust.endorsements.get(pk, 0)
    if user_ids:
        if id_range is not None and id_range[0] == "user":
            verified_people = _verified_by_institution_between(id_range[1], id_range[2])
            verified_units, people = _people_between(id_range[1], id_range[2])
        else:
            verified_people = set(users_verified_by_institution(user_ids))  # one query
            verified_units, people = _people(user_ids)
        for pk, email, joined_on in people:
            key = f"user:{pk}"
            identities[key] = IdentityFacts(
                has_email=bool(email),
                verified_member=bool(verified_units.get(pk)),
                verified_person=pk in verified_people,
                seniority_days=(today - joined_on).days,
            )
            best = max((trust.by_unit.get(unit_id, 0.0) for unit_id in verified_units.get(pk, [])), default=0.0)
            relationships[key] = best * params.TRUST_USER_FACTOR
    return identities, relationships, endorsements


def _verified_by_institution_between(first: int, last: int) -> set[int]:
    """identity.selectors.users_verified_by_institution for the users of an id range (a full run's batch)."""
    return set(
        PersonAccount.objects.filter(
            user_id__gte=first, user_id__lte=last, person__verified_by__isnull=False, person__verified_by__enabled=True
        ).values_list("user_id", flat=True)
    )


def _people_between(first: int, last: int) -> tuple[dict[int, list[int]], list[tuple]]:
    """_people for the users of an id range: two range scans (users, then verified memberships)."""
    verified_units: dict[int, list[int]] = defaultdict(list)
    memberships = (
        Membership.objects.filter(user_id__gte=first, user_id__lte=last, unit__status=Unit.Status.VERIFIED)
        .order_by("pk")
        .values_list("user_id", "unit_id")
    )
    for user_id, unit_id in memberships:
        verified_units[user_id].append(unit_id)
    if connection.vendor != "postgresql":
        rows = get_user_model().objects.filter(pk__gte=first, pk__lte=last).values_list("pk", "email", "date_joined")
        return verified_units, [(pk, email, timezone.localtime(joined).date()) for pk, email, joined in rows]
    with connection.cursor() as cursor:  # the local day each joined on, computed by the database
        cursor.execute(
            f"SELECT id, email, (date_joined AT TIME ZONE %s)::date FROM {get_user_model()._meta.db_table} "  # noqa: S608
            "WHERE id BETWEEN %s AND %s",
            [timezone.get_current_timezone_name(), first, last],
        )
        people = cursor.fetchall()
    return verified_units, people


def _people(user_ids: list[int]) -> tuple[dict[int, list[int]], list[tuple]]:
    """The users' (id, email, local day joined) and the verified units each belongs to: one query on PostgreSQL."""
    verified_units: dict[int, list[int]] = defaultdict(list)
    if connection.vendor == "postgresql":
        users, members, units = get_user_model()._meta.db_table, Membership._meta.db_table, Unit._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT u.id, u.email, u.date_joined, ARRAY(SELECT m.unit_id FROM {members} m "  # noqa: S608
                f"JOIN {units} un ON un.id = m.unit_id WHERE m.user_id = u.id AND un.status = %s ORDER BY m.id) "
                f"FROM {users} u WHERE u.id = ANY(%s)",
                [Unit.Status.VERIFIED, user_ids],
            )
            people = []
            for pk, email, joined, unit_ids in cursor.fetchall():
                people.append((pk, email, timezone.localtime(joined).date()))
                if unit_ids:
                    verified_units[pk] = list(unit_ids)
        return verified_units, people
    memberships = Membership.objects.filter(user_id__in=user_ids, unit__status=Unit.Status.VERIFIED)
    for user_id, unit_id in memberships.values_list("user_id", "unit_id"):
        verified_units[user_id].append(unit_id)
    rows = get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "email", "date_joined")
    people = [(pk, email, timezone.localtime(joined).date()) for pk, email, joined in rows]
    return verified_units, people


def build_inputs(keys: list[str], as_of: datetime, trust: TrustScores) -> dict[str, SubjectInputs]:
    """SubjectInputs for every key, with a fixed number of queries whatever the batch size."""
    buckets = ledger_buckets(keys, as_of)
    external = external_facts(keys, as_of)
    identities, relationships, endorsements = identity_facts(keys, as_of, trust)
    return {
        key: SubjectInputs(
            subject_key=key,
            buckets=tuple(buckets.get(key, ())),
            identity=identities.get(key, IdentityFacts()),
            external=tuple(external.get(key, ())),
            relationships=relationships.get(key, 0.0),
            endorsements=endorsements.get(key, 0),
        )
        for key in keys
        if key in identities
    }
