"""Signals the identity layer sends; higher layers (credit) listen.

`person_verified` is sent once the transaction that recorded a person's verification by an
institution has committed. Keyword arguments: user_id (the account signed in), provider_id.
Credit answers it by recomputing that user's score (the identity dimension counts it).
"""

from django.dispatch import Signal

person_verified = Signal()
