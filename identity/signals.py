"""Signals the identity layer sends; higher layers (credit) listen.

`person_verified` is sent inside the transaction that records a person's verification by an
institution. Keyword arguments: user_id (the account signed in), provider_id. Receivers queue
their work with `sharing_platform.outbox.enqueue` (written with the verification, sent after it
commits). Credit answers it by recomputing that user's score (the identity dimension counts it).
"""

from django.dispatch import Signal

person_verified = Signal()
