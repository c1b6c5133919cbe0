"""Fill a migrated PostgreSQL database with a national-scale platform, fast, through COPY.

    python bench/generate.py --scale full --db bench_full      (usually called by bench/run.py)

What it writes (ids are assigned here, sequences are moved past them at the end):
  units (most verified), memberships (admin, manager, members), users (an unusable password hash
  constant, never hashed per user), instruments (a few units own hundreds, most a handful),
  bookings laid out per instrument so that no two ever overlap (each instrument's history is cut
  into as many equal segments as it has bookings; a booking stays inside its segment), requester
  reviews, and the credit ledger events the bookings report (fulfilled, service delivered, late
  check-in, no-show, late cancellation, damage, justified refusal, review received).

Distributions: instrument demand is heavy-tailed (a Pareto draw, a quarter of instruments idle),
users and units are skewed (a few very active), 90% of past bookings complete, about 3% are
no-shows, 1.6% late cancellations, 0.5% of completed uses end in confirmed damage.

The last few instruments of the largest unit are "contention rigs" (no approval needed, no
history) and the last few users never booked: bench/run.py hammers those in its contention test.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

# An unusable password (Django's "!" prefix): benchmark users can never log in with a password.
UNUSABLE_PASSWORD = "!bench-user-no-password-login"  # noqa: S105 (not a secret: unusable by design)

SCALES = {
    "full": {"units": 5_000, "instruments": 50_000, "users": 100_000, "bookings": 2_000_000},
    "tenth": {"units": 500, "instruments": 5_000, "users": 10_000, "bookings": 200_000},
    "hundredth": {"units": 50, "instruments": 500, "users": 1_000, "bookings": 20_000},
    "smoke": {"units": 6, "instruments": 40, "users": 80, "bookings": 600},
}

CONTENTION_RIGS = 4  # instruments of the largest unit kept free for bench/run.py's contention test
HISTORY_DAYS = 730  # bookings run from two years ago...
FUTURE_DAYS = 45  # ...to six weeks ahead (the future ones approved or requested)
FLUSH_BYTES = 32 * 1024 * 1024

MANUFACTURERS = [
    "Thermo Fisher", "Bruker", "Agilent", "Shimadzu", "JEOL", "Zeiss", "Hitachi", "Waters", "PerkinElmer",
    "Malvern", "Oxford Instruments", "Rigaku", "Leica", "Horiba", "Netzsch", "Instron", "Keysight", "FEI",
]  # fmt: skip
UNIT_KINDS = ["university"] * 5 + ["research_institute"] * 3 + ["metrology_institute", "enterprise", "other"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ENDORSEMENTS_PER_UNIT = 3  # on average each unit endorses this many others (bench/run.py's trust propagation)
ENDORSEMENT_KINDS = ["collaboration"] * 3 + ["supervision", "other"]
DURATIONS_MIN = [60, 120, 120, 180, 240, 240, 360, 480]


@dataclass
class GenerateResult:
    scale: dict
    counts: dict
    seconds: float
    contention_instruments: list[int]
    contention_users: list[int]
    largest_unit: int


def uscc(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def base31(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, r = divmod(n, 31)
        digits.append(USCC_ALPHABET[r])
    return "".join(reversed(digits))


class Clock:
    """Minutes since an epoch rendered as PostgreSQL timestamptz text, with a per-day cache (fast)."""

    def __init__(self, epoch: datetime):
        self.epoch = epoch
        self.days: dict[int, str] = {}

    def text(self, minute: int) -> str:
        day, rest = divmod(minute, 1440)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = (self.epoch + timedelta(days=day)).strftime("%Y-%m-%d")
            self.days[day] = prefix
        hour, mins = divmod(rest, 60)
        return f"{prefix} {hour:02d}:{mins:02d}:00+00"


class CopyStream:
    """Rows as COPY text, sent in chunks so memory stays flat whatever the scale."""

    def __init__(self, cursor, table: str, columns: list[str]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.buffer = io.StringIO()
        self.rows = 0

    def add(self, line: str) -> None:
        self.buffer.write(line)
        self.rows += 1
        if self.buffer.tell() > FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.buffer.tell():
            return
        self.buffer.seek(0)
        self.cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.buffer)
        self.buffer = io.StringIO()


def _skewed(rng: random.Random, n: int, exponent: float) -> int:
    """An index in [0, n) where low indices are far more likely (exponent > 1 = more skew)."""
    return min(n - 1, int(n * rng.random() ** exponent))


def _booking_counts(rng: random.Random, instruments: int, total: int, capacity: int) -> list[int]:
    """Heavy-tailed demand: a quarter of instruments idle, the rest Pareto-weighted, capped by capacity."""
    weights = [0.0 if rng.random() < 0.25 else rng.paretovariate(1.1) for _ in range(instruments)]
    counts = [0] * instruments
    remaining = total
    for _round in range(6):  # redistribute what capped instruments could not take
        open_weight = sum(w for i, w in enumerate(weights) if w and counts[i] < capacity)
        if remaining <= 0 or open_weight == 0:
            break
        given = 0
        for i, w in enumerate(weights):
            if w and counts[i] < capacity:
                extra = min(capacity - counts[i], int(remaining * w / open_weight))
                counts[i] += extra
                given += extra
        remaining -= given
        if given == 0:
            break
    return counts


def generate(cursor, *, scale: dict, seed: int = 2026, now: datetime | None = None, log=print) -> GenerateResult:
    """Write the whole data set through `cursor` (a psycopg2 cursor on an empty, migrated database)."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not security)
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    epoch = (now - timedelta(days=HISTORY_DAYS + 30)).replace(hour=0, minute=0)
    clock = Clock(epoch)
    now_min = int((now - epoch).total_seconds() // 60)
    history_start = now_min - HISTORY_DAYS * 1440
    history_end = now_min + FUTURE_DAYS * 1440
    t = clock.text
    n_units, n_instruments, n_users, n_bookings = (
        scale["units"], scale["instruments"], scale["users"], scale["bookings"]
    )  # fmt: skip

    cursor.execute("SELECT count(*) FROM instruments_unit")
    if cursor.fetchone()[0]:
        raise SystemExit("the database already holds units: generate into an empty, migrated database")
    cursor.execute("SELECT id, code FROM instruments_region ORDER BY id")
    regions = cursor.fetchall()
    cursor.execute(
        "SELECT c.id, c.name_en, c.name_zh FROM instruments_instrumentcategory c "
        "WHERE c.parent_id IS NOT NULL ORDER BY c.id"
    )
    categories = cursor.fetchall()
    if not regions or not categories:
        raise SystemExit("regions and categories are missing: run the migrations first")

    def progress(label: str, done: int, total: int) -> None:
        log(f"  {label}: {done:,}/{total:,} ({time.monotonic() - started:.0f}s)")

    # --- Units ------------------------------------------------------------------------------------
    unit_cols = [
        "id", "name", "name_en", "kind", "credit_code", "address", "contact_name", "contact_phone", "contact_email",
        "website", "accreditations", "description", "status", "status_reason", "credit_tier", "created_at",
        "updated_at", "region_id", "description_en",
    ]  # fmt: skip
    stream = CopyStream(cursor, "instruments_unit", unit_cols)
    unit_status = []
    for i in range(n_units):
        pk = i + 1
        region_id, region_code = regions[i % len(regions)]
        roll = rng.random()
        status = "verified" if i < 10 or roll < 0.92 else "pending" if roll < 0.97 else "suspended"
        unit_status.append(status)
        accreditations = '["CMA", "CNAS"]' if roll < 0.2 else '["CMA"]' if roll < 0.5 else "[]"
        created = t(history_start - rng.randrange(1, 300) * 1440)
        code = uscc(f"12{region_code}{base31(pk, 9)}")
        stream.add(
            f"{pk}\t基准单位{pk}\tBench unit {pk}\t{rng.choice(UNIT_KINDS)}\t{code}\t\t\t\t\t\t{accreditations}"
            f"\t\t{status}\t\t\t{created}\t{created}\t{region_id}\t\n"
        )
    stream.flush()
    log(f"units: {n_units:,} ({time.monotonic() - started:.1f}s)")

    # --- Users and memberships --------------------------------------------------------------------
    stream = CopyStream(
        cursor, "auth_user",
        ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
         "is_active", "date_joined"],
    )  # fmt: skip
    members = CopyStream(cursor, "instruments_membership", ["id", "role", "created_at", "user_id", "unit_id"])
    user_unit = [0] * (n_users + 1)
    seen_units: dict[int, int] = {}
    for i in range(n_users):
        pk = i + 1
        joined = t(history_start - 1440 * 30 + rng.randrange(0, (HISTORY_DAYS + 30) * 1440))
        email = f"bench{pk}@example.org" if rng.random() < 0.9 else ""
        stream.add(f"{pk}\t{UNUSABLE_PASSWORD}\tf\tbench_user_{pk}\t\t\t{email}\tf\tt\t{joined}\n")
        if i < n_units:  # every unit has an administrator...
            unit = i + 1
        elif rng.random() < 0.95:  # ...and most users belong to a unit, large units far more often
            unit = _skewed(rng, n_units, 2.0) + 1
        else:
            continue
        order = seen_units.get(unit, 0)
        seen_units[unit] = order + 1
        role = "admin" if order == 0 else "manager" if order == 1 else "member"
        user_unit[pk] = unit
        members.add(f"{members.rows + 1}\t{role}\t{joined}\t{pk}\t{unit}\n")
        if pk % 50_000 == 0:
            progress("users", pk, n_users)
    stream.flush()
    members.flush()
    log(f"users: {n_users:,}, memberships: {members.rows:,} ({time.monotonic() - started:.1f}s)")

    # --- Instruments --------------------------------------------------------------------------------
    inst_cols = [
        "id", "asset_number", "name", "name_en", "model_number", "manufacturer", "country_of_origin",
        "purchase_date", "original_value", "location", "status", "description", "specifications", "services",
        "hourly_rate_internal", "hourly_rate_external", "deposit", "requires_approval", "requires_qualification",
        "min_credit_score", "contact_name", "contact_phone", "contact_email", "retired_at", "created_at",
        "updated_at", "category_id", "unit_id", "location_en", "description_en", "specifications_en", "services_en",
        "cover_thumbnail",
    ]  # fmt: skip
    stream = CopyStream(cursor, "instruments_instrument", inst_cols)
    rigs = min(CONTENTION_RIGS, max(1, n_instruments // 10))
    instrument_unit = [0] * (n_instruments + 1)
    instrument_rates: list[tuple[str, str]] = [("0", "0")] * (n_instruments + 1)
    instrument_ok = [False] * (n_instruments + 1)  # listed and bookable: takes part in the history
    for i in range(n_instruments):
        pk = i + 1
        rig = i >= n_instruments - rigs
        unit = 1 if rig else _skewed(rng, n_units, 1.8) + 1
        instrument_unit[pk] = unit
        category_id, name_en, name_zh = categories[rng.randrange(len(categories))]
        maker = rng.choice(MANUFACTURERS)
        model = f"{rng.choice('ABCDEFGHKMNPRSTX')}{rng.choice('ABCDEFGHKMNPRSTX')}-{rng.randrange(100, 9999)}"
        value = int(10 ** rng.uniform(5.5, 7.6))
        internal = max(50, min(5000, value // 10_000))
        external = int(internal * 1.5)
        instrument_rates[pk] = (f"{internal}.00", f"{external}.00")
        roll = rng.random()
        status = "available" if rig or roll < 0.92 else "maintenance" if roll < 0.98 else "retired"
        instrument_ok[pk] = not rig and status != "retired"
        created = t(history_start - rng.randrange(30, 400) * 1440)
        retired = t(now_min - rng.randrange(1, 100) * 1440) if status == "retired" else "\\N"
        deposit = "0" if rig or rng.random() < 0.6 else rng.choice(["500", "1000", "2000"])
        approval = "f" if rig or rng.random() < 0.3 else "t"
        min_credit = "600" if not rig and rng.random() < 0.1 else "\\N"
        name = f"Bench contention rig {pk}" if rig else f"{maker} {name_zh}"
        purchased = f"{rng.randrange(2005, 2025)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        stream.add(
            f"{pk}\tA{pk:08d}\t{name}\t{maker} {name_en} {model}\t{model}\t{maker}\t\t{purchased}\t{value}.00\t"
            f"Building {rng.randrange(1, 40)}\t{status}\t{name_en} for shared use ({maker} {model}).\t\t\t"
            f"{internal}.00\t{external}.00\t{deposit}\t{approval}\tf\t{min_credit}\t\t\t\t{retired}\t{created}\t"
            f"{created}\t{category_id}\t{unit}\t\t\t\t\t\n"
        )
    stream.flush()
    log(f"instruments: {n_instruments:,} ({time.monotonic() - started:.1f}s)")

    # --- Bookings, reviews and the ledger -------------------------------------------------------------
    booking_cols = [
        "id", "start", '"end"', "state", "purpose", "project_code", "rate_kind", "hourly_rate", "price",
        "deposit_amount", "deposit_state", "operator_assisted", "checked_in_at", "checked_out_at", "actual_hours",
        "decided_at", "refusal_reason", "cancelled_at", "cancellation_late", "created_at", "updated_at",
        "instrument_id", "requester_id", "requester_unit_id",
    ]  # fmt: skip
    event_cols = [
        "id", "subject_key", "kind", "polarity", "weight", "value", "severity", "source", "source_ref",
        "counterparty_key", "details", "occurred_at", "recorded_at", "subject_unit_id", "subject_user_id",
    ]  # fmt: skip
    bookings = CopyStream(cursor, "bookings_booking", booking_cols)
    reviews = CopyStream(
        cursor, "bookings_review", ["id", "side", "stars", "tags", "text", "created_at", "author_id", "booking_id"]
    )
    events = CopyStream(cursor, "credit_creditevent", event_cols)
    eligible = [pk for pk in range(1, n_instruments + 1) if instrument_ok[pk]]
    span = history_end - history_start
    capacity = span // (4 * 60)  # at most one booking per 4 hours of the calendar on average
    counts = _booking_counts(rng, len(eligible), n_bookings, capacity)
    spare_users = min(32, max(2, n_users // 10))  # never book: the contention test's clients
    booking_users = n_users - spare_users
    event_id = 0

    def event(key: str, kind: str, polarity: int, source_ref: str, at: str, *, unit=None, user=None,
              value="\\N", severity="", counterparty="", source="booking") -> None:  # fmt: skip
        nonlocal event_id
        event_id += 1
        events.add(
            f"{event_id}\t{key}\t{kind}\t{polarity}\t1.0000\t{value}\t{severity}\t{source}\t{source_ref}\t"
            f"{counterparty}\t{{}}\t{at}\t{at}\t{unit or chr(92) + 'N'}\t{user or chr(92) + 'N'}\n"
        )

    pk = 0
    next_report = 100_000
    for instrument, count in zip(eligible, counts, strict=True):
        if not count:
            continue
        unit = instrument_unit[instrument]
        unit_key = f"unit:{unit}"
        internal_rate, external_rate = instrument_rates[instrument]
        segment = span / count
        for k in range(count):
            pk += 1
            seg_start = history_start + int(k * segment)
            room = int(segment) - 1
            duration = min(rng.choice(DURATIONS_MIN), max(30, int(room * 0.9)))
            start = seg_start + rng.randrange(0, max(1, room - duration))
            end = start + duration
            user = _skewed(rng, booking_users, 1.5) + 1
            user_key = f"user:{user}"
            requester_unit = user_unit[user]
            internal = requester_unit == unit
            rate = internal_rate if internal else external_rate
            price = f"{float(rate) * duration / 60:.2f}"
            created = start - rng.randrange(60, 14 * 1440)
            created_t = t(created)
            checked_in = checked_out = actual = decided = cancelled = "\\N"
            refusal, late = "", "f"
            ref = f"booking:{pk}"
            end_t = t(end)
            if start >= now_min:
                state = "approved" if rng.random() < 0.7 else "requested"
                decided = t(created + 60) if state == "approved" else "\\N"
            elif end > now_min:
                state, decided = "approved", t(created + 60)
            else:
                roll = rng.random()
                decided = t(created + rng.randrange(10, 2880))
                if roll < 0.03:
                    state, refusal = "refused", "Bench: the instrument is reserved for a calibration."
                    event(unit_key, "refusal_justified", 1, ref, decided, unit=unit, counterparty=user_key)
                elif roll < 0.07:
                    state = "cancelled"
                    lead = rng.randrange(30, 7 * 1440) if roll < 0.054 else rng.randrange(30, 23 * 60)
                    late = "t" if lead < 24 * 60 else "f"
                    cancelled = t(start - lead)
                    if late == "t":
                        event(user_key, "late_cancellation", -1, ref, cancelled, user=user, counterparty=unit_key)
                elif roll < 0.10:
                    state = "no_show"
                    event(user_key, "no_show", -1, ref, t(start + 30), user=user, counterparty=unit_key)
                else:
                    state = "completed"
                    lateness = rng.randrange(0, 10) if rng.random() < 0.95 else rng.randrange(16, 40)
                    used = max(15, int(duration * rng.uniform(0.55, 1.0)))
                    checked_in, checked_out = t(start + lateness), t(start + lateness + used)
                    actual = f"{used / 60:.2f}"
                    event(user_key, "booking_fulfilled", 1, ref, end_t, user=user, counterparty=unit_key)
                    event(unit_key, "service_delivered", 1, ref, end_t, unit=unit, counterparty=user_key)
                    if lateness > 15:
                        event(user_key, "late_check_in", -1, ref, checked_in, user=user, counterparty=unit_key)
                    if rng.random() < 0.005:
                        severity = "serious" if rng.random() < 0.2 else "general"
                        event(user_key, "damage_confirmed", -1, ref, end_t, user=user, severity=severity,
                              counterparty=unit_key)  # fmt: skip
                    if rng.random() < 0.2:
                        stars = rng.choice((5, 5, 5, 4, 4, 4, 3, 2, 1))
                        reviews.add(f"{reviews.rows + 1}\trequester\t{stars}\t[]\t\t{end_t}\t{user}\t{pk}\n")
                        event(unit_key, "review_received", 0, f"review:{reviews.rows}", end_t, unit=unit,
                              value=f"{stars}.0000", source="review", counterparty=user_key)  # fmt: skip
            bookings.add(
                f"{pk}\t{t(start)}\t{end_t}\t{state}\tBench sample analysis\t\t"
                f"{'internal' if internal else 'external'}\t{rate}\t{price}\t0\tnone\tf\t{checked_in}\t"
                f"{checked_out}\t{actual}\t{decided}\t{refusal}\t{cancelled}\t{late}\t{created_t}\t{created_t}\t"
                f"{instrument}\t{user}\t{requester_unit or chr(92) + 'N'}\n"
            )
            if pk >= next_report:
                progress("bookings", pk, n_bookings)
                next_report += 100_000
    # --- Endorsements between units (a separate random stream: the bookings above stay the same) -------
    endorse_rng = random.Random(seed + 1)  # noqa: S311 (reproducible data)
    endorsements = CopyStream(
        cursor, "credit_endorsement",
        ["id", "kind", "note", "created_at", "revoked_at", "created_by_id", "endorsed_id", "endorser_id"],
    )  # fmt: skip
    for endorser in range(1, n_units + 1):
        targets: set[int] = set()
        for _ in range(endorse_rng.randrange(0, 2 * ENDORSEMENTS_PER_UNIT + 1)):
            endorsed = _skewed(endorse_rng, n_units, 2.0) + 1  # large units are endorsed far more often
            if endorsed != endorser:
                targets.add(endorsed)
        for endorsed in sorted(targets):
            created = history_start + endorse_rng.randrange(0, HISTORY_DAYS * 1440)
            revoked = "\\N"
            if endorse_rng.random() < 0.1:  # a tenth were revoked later (and count no more)
                revoked = t(min(now_min - 1, created + endorse_rng.randrange(1440, 365 * 1440)))
            endorsements.add(
                f"{endorsements.rows + 1}\t{endorse_rng.choice(ENDORSEMENT_KINDS)}\t\t{t(created)}\t{revoked}\t"
                f"\\N\t{endorsed}\t{endorser}\n"
            )
            event(f"unit:{endorsed}", "endorsement_received", 1, f"endorsement:{endorsements.rows}", t(created),
                  unit=endorsed, source="endorsement", counterparty=f"unit:{endorser}")  # fmt: skip
    endorsements.flush()
    log(f"endorsements: {endorsements.rows:,} ({time.monotonic() - started:.1f}s)")
    bookings.flush()
    reviews.flush()
    events.flush()
    log(
        f"bookings: {bookings.rows:,}, reviews: {reviews.rows:,}, ledger events: {events.rows:,} "
        f"({time.monotonic() - started:.1f}s)"
    )

    for table in (
        "instruments_unit", "auth_user", "instruments_membership", "instruments_instrument", "bookings_booking",
        "bookings_review", "credit_creditevent", "credit_endorsement",
    ):  # fmt: skip
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (fixed table names)
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )
    cursor.execute("ANALYZE")
    seconds = time.monotonic() - started
    log(f"sequences moved, ANALYZE done ({seconds:.1f}s)")
    return GenerateResult(
        scale=dict(scale),
        counts={
            "units": n_units,
            "users": n_users,
            "memberships": members.rows,
            "instruments": n_instruments,
            "bookings": bookings.rows,
            "reviews": reviews.rows,
            "ledger_events": events.rows,
            "endorsements": endorsements.rows,
            "idle_instruments": sum(1 for c in counts if c == 0) + (n_instruments - len(eligible)),
            "busiest_instrument_bookings": max(counts, default=0),
        },
        seconds=round(seconds, 1),
        contention_instruments=list(range(n_instruments - rigs + 1, n_instruments + 1)),
        contention_users=list(range(n_users - spare_users + 1, n_users + 1)),
        largest_unit=1,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="hundredth")
    parser.add_argument("--db", required=True, help="a migrated, empty database (bench_<scale> by convention)")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = f"{args.server.rstrip('/')}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharing_platform.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        result = generate(cursor.cursor, scale=SCALES[args.scale], seed=args.seed)
    print(result)  # noqa: T201


if __name__ == "__main__":
    main()
