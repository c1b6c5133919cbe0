"""Signals the credit layer sends; other apps (partners' webhooks, caches) listen instead of polling.

`credit_score_changed` is sent once the transaction that wrote a subject's new snapshot has
committed, by both the per-subject and the full recompute, for every subject whose score or tier
differs from its previous snapshot (a first snapshot counts: old_score and old_tier are None).
Keyword arguments: subject_key ("user:<id>" | "unit:<id>"), old_score, new_score, old_tier,
new_tier, as_of, snapshot_id. Receivers must not raise: the recompute has already committed.
"""

from django.dispatch import Signal

credit_score_changed = Signal()
