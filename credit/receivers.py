"""Credit's answers to lower layers' signals (connected in CreditConfig.ready())."""

from __future__ import annotations

from django.dispatch import receiver

from identity.signals import person_verified
from sharing_platform import outbox

from .tasks import recompute_subject_task


@receiver(person_verified, dispatch_uid="credit.receivers.person_verified")
def person_verified_received(sender, user_id: int, **kwargs) -> None:
    """A person's institution vouched for them (sent in the transaction): their identity dimension changes."""
    outbox.enqueue(recompute_subject_task, f"user:{user_id}")
