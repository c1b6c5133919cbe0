"""Credit's answers to lower layers' signals (connected in CreditConfig.ready())."""

from __future__ import annotations

from django.dispatch import receiver

from identity.signals import person_account_joined, person_verified
from sharing_platform import outbox

from .services.persons import person_account_joined_follow
from .tasks import recompute_subject_task


@receiver(person_verified, dispatch_uid="credit.receivers.person_verified")
def person_verified_received(sender, user_id: int, **kwargs) -> None:
    """A person's institution vouched for them (sent in the transaction): their identity dimension changes."""
    outbox.enqueue(recompute_subject_task, f"user:{user_id}")


@receiver(person_account_joined, dispatch_uid="credit.receivers.person_account_joined")
def person_account_joined_received(sender, user_id: int, **kwargs) -> None:
    """An account joined a person (sent in the transaction): the person's record follows it, in the same
    transaction, so a refused join leaves nothing behind (issue 18.2)."""
    person_account_joined_follow(user_id=user_id)
