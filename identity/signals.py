"""Signals the identity layer sends; higher layers (credit) listen.

`person_verified` is sent inside the transaction that records a person's verification by an
institution. Keyword arguments: user_id (the account signed in), provider_id. Receivers queue
their work with `sharing_platform.outbox.enqueue` (written with the verification, sent after it
commits). Credit answers it by recomputing that user's score (the identity dimension counts it).


`person_account_joined` is sent inside the transaction in which an account becomes an account of a
person (sign-on, a unit admin's vouching, a platform admin linking flagged accounts). Keyword arguments:
user_id, person_id. Credit answers it in the same transaction (the person's black-list entries and
negative facts follow the account); what it queues goes through the outbox, so a rollback drops it.
"""

from django.dispatch import Signal

person_verified = Signal()
person_account_joined = Signal()
