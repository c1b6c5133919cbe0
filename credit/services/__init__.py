"""The credit app's write surface: every change to the ledger, the lists, objections, repairs, endorsements
and badges goes through one of these functions. Other apps report facts here (never through credit.models).

One module per noun: `ledger` (events, reversals), `external_reports`, `endorsements`, `lists` (red and black
list entries), `appeals`, `repairs`, `badges`.
"""

from .appeals import appeal_decide, appeal_submit
from .badges import trusted_badges_review
from .endorsements import endorsement_create
from .external_reports import external_report_create
from .ledger import credit_event_record, credit_event_reverse
from .lists import list_entries_expire, list_entries_propose, list_entry_confirm, list_entry_reject
from .repairs import repair_request_decide, repair_request_submit

__all__ = [
    "appeal_decide",
    "appeal_submit",
    "credit_event_record",
    "credit_event_reverse",
    "endorsement_create",
    "external_report_create",
    "list_entries_expire",
    "list_entries_propose",
    "list_entry_confirm",
    "list_entry_reject",
    "repair_request_decide",
    "repair_request_submit",
    "trusted_badges_review",
]
