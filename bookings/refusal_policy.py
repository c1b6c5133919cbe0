"""The refusal rule: when refusing a request counts as justified for the provider (issue 18 item 5).

Pure, like the rest of the booking policy (re-exported by `bookings.policy`): no queries, no writes; the
facts are gathered by `bookings.selectors.refusal_facts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.utils.translation import gettext as _

REFUSAL_BLACK_LIST_HISTORY = "black_list_history"
REFUSAL_BLACK_LISTED = "black_listed"
REFUSAL_CONFIRMED_HARM = "confirmed_damage_or_misuse"
REFUSAL_DECLARED_BLACKOUT = "declared_blackout"
REFUSAL_HARM_LOOKBACK = timedelta(days=2 * 365)  # how far back a confirmed damage or misuse counts


@dataclass(frozen=True)
class RefusalFacts:
    """What the refusal rule knows (`selectors.refusal_facts`): the requester's record when the request was
    made, a black entry in force now, and a blackout over the booking with whether it holds for every
    booking in it. Not the instrument's status: a request is only taken while the instrument takes
    bookings, so a status set afterwards is the provider's own toggle."""

    requested_at: datetime
    black_list_history_at_request: bool
    black_listed_now: bool
    confirmed_harm_before_request: int
    blackout: Any | None
    blackout_applies_to_all: bool


def refusal_justification(facts: RefusalFacts) -> str:
    """Why a refusal is justified ("" when nothing justifies it). A justified refusal counts for the
    provider (REFUSAL_JUSTIFIED), any other against its acceptance rate (REFUSAL_UNJUSTIFIED)."""
    if facts.black_list_history_at_request:
        return REFUSAL_BLACK_LIST_HISTORY
    if facts.black_listed_now:
        return REFUSAL_BLACK_LISTED
    if facts.confirmed_harm_before_request:
        return REFUSAL_CONFIRMED_HARM
    if facts.blackout is not None and facts.blackout_applies_to_all:
        return REFUSAL_DECLARED_BLACKOUT
    return ""


def refusal_explanation(facts: RefusalFacts, *, tz: tzinfo) -> tuple[str, str]:
    """The justification and a sentence for the provider: will the refusal count as justified, and why."""
    justification = refusal_justification(facts)
    times = {}
    if facts.blackout is not None:
        times = {
            key: getattr(facts.blackout, key).astimezone(tz).strftime("%Y-%m-%d %H:%M") for key in ("start", "end")
        }
    if justification == REFUSAL_BLACK_LIST_HISTORY:
        text = _("This refusal will count as justified: the requester had been on the black list before the request.")
    elif justification == REFUSAL_BLACK_LISTED:
        text = _("This refusal will count as justified: the requester is on the black list now.")
    elif justification == REFUSAL_CONFIRMED_HARM:
        text = _(
            "This refusal will count as justified: the requester had a confirmed damage or misuse in the two "
            "years before the request."
        )
    elif justification == REFUSAL_DECLARED_BLACKOUT:
        text = (
            _(
                "This refusal will count as justified: the booking falls in the declared maintenance period "
                "%(start)s to %(end)s, which holds for every booking in it."
            )
            % times
        )
    elif facts.blackout is not None:
        text = (
            _(
                "This refusal will count against your unit's acceptance rate: the maintenance period %(start)s to "
                "%(end)s does not hold for every booking in it (an approved booking lies inside it)."
            )
            % times
        )
    else:
        text = _(
            "This refusal will count against your unit's acceptance rate. A refusal is justified by the "
            "requester's record when they asked (a black-list history, or a confirmed damage or misuse in the "
            "two years before), or by a maintenance period declared as a blackout over the booking; a status "
            "changed after the request does not justify it."
        )
    return justification, text
