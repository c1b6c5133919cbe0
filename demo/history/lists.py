"""Credit runs and the red and black lists: the nightly recompute and proposals, the admin's moderation, an
entry that expires, a granted repair, objections decided and one left open."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bookings.services import contestable_facts_record_due
from credit import services as credit_services
from credit.models import ListEntry
from credit.recompute import recompute_all

from .texts import (
    BLACK_LIST_REASON,
    BLACK_LIST_REJECTED,
    OBJECTION,
    OBJECTION_DISMISSED,
    RED_LIST_REASON,
    REPAIR_GRANTED,
    REPAIR_PROOF,
)
from .timeline import BLACKLISTED_USERNAME, MODERATION_QUIET_DAYS, Timeline

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ListHistory(Timeline):
    def _nightly_credit(self) -> None:
        moment = self.clock.now()
        contestable_facts_record_due(now=moment)  # the beat sweep: no-shows and overruns nobody contested
        recompute_all(as_of=moment)
        credit_services.list_entries_expire(now=moment)
        proposals = credit_services.list_entries_propose(as_of=moment)
        credit_services.trusted_badges_review(as_of=moment)
        for entry in sorted(proposals, key=lambda entry: entry.pk):
            if moment > self.now - timedelta(days=MODERATION_QUIET_DAYS):
                continue  # waits in the moderation queue
            self.at(moment + timedelta(days=self.rng.uniform(1, 4), hours=8), functools.partial(self._moderate, entry))

    def _moderate(self, entry: ListEntry) -> None:
        entry.refresh_from_db()
        if entry.status != ListEntry.Status.PROPOSED:
            return
        now = self.clock.now()
        if entry.list_type == ListEntry.List.RED:
            credit_services.list_entry_confirm(entry=entry, moderator=self.admin, reason=RED_LIST_REASON)
            return
        blacklisted = entry.subject_user is not None and entry.subject_user.username == BLACKLISTED_USERNAME
        treatment = "blacklisted" if blacklisted else self._treatment(entry, now)
        if treatment == "reject":
            credit_services.list_entry_reject(entry=entry, moderator=self.admin, reason=BLACK_LIST_REJECTED)
            return
        if treatment == "expire":
            credit_services.list_entry_confirm(
                entry=entry, moderator=self.admin, reason=BLACK_LIST_REASON, severity="minor",
                expires_at=now + timedelta(days=60),
            )  # fmt: skip
            return
        if treatment == "blacklisted":  # a year, the longest a general entry may last: still on the list today
            credit_services.list_entry_confirm(
                entry=entry, moderator=self.admin, reason=BLACK_LIST_REASON, expires_at=now + timedelta(days=364)
            )
        else:
            credit_services.list_entry_confirm(entry=entry, moderator=self.admin, reason=BLACK_LIST_REASON)
        entry.refresh_from_db()
        # An entry names a person or a unit (a database constraint); a unit answers through its admin.
        subject_user = entry.subject_user or self.providers[entry.subject_unit_id or 0].admin
        if treatment == "repair":
            published = entry.published_at or now
            self.at(published + timedelta(days=95), lambda: self._repair(entry, subject_user))
        elif treatment == "dismissed":
            self.at(now + timedelta(days=6), lambda: self._objection(entry, subject_user, decide=True))
        elif treatment == "blacklisted":
            self.at(self.now - timedelta(days=2), lambda: self._objection(entry, subject_user, decide=False))

    def _treatment(self, entry: ListEntry, now: datetime) -> str:
        """How the admin handles a black proposal: the first ones so that the demo shows an entry that
        expired, one repaired, one objected to in vain; then mostly published, some rejected."""
        general = entry.severity == "general"
        # The repair needs the longer run-up: it takes the first early entry, the expiry a later one.
        if general and "repair" not in self.treatments and now < self.now - timedelta(days=110):
            choice = "repair"
        elif general and "expire" not in self.treatments and now < self.now - timedelta(days=75):
            choice = "expire"
        elif "dismissed" not in self.treatments:
            choice = "dismissed"
        else:
            choice = "reject" if self.treatments["black"] % 4 == 3 else "plain"
        self.treatments[choice] += 1
        self.treatments["black"] += 1
        return choice

    def _repair(self, entry: ListEntry, user: User) -> None:
        repair = credit_services.repair_request_submit(
            entry=entry, user=user, commitment_signed=True, proof_text=REPAIR_PROOF
        )
        self.at(self.clock.now() + timedelta(days=3), lambda: credit_services.repair_request_decide(
            repair=repair, admin=self.admin, granted=True, reason=REPAIR_GRANTED,
        ))  # fmt: skip

    def _objection(self, entry: ListEntry, user: User, *, decide: bool) -> None:
        appeal = credit_services.appeal_submit(entry=entry, user=user, reason=OBJECTION)
        if decide:
            self.at(self.clock.now() + timedelta(days=4), lambda: credit_services.appeal_decide(
                appeal=appeal, admin=self.admin, upheld=False, reason=OBJECTION_DISMISSED,
            ))  # fmt: skip
