"""Credit's answers to lower layers' signals (connected in CreditConfig.ready())."""

from __future__ import annotations

from django.dispatch import receiver

from identity.signals import person_verified

from .tasks import enqueue_recompute


@receiver(person_verified, dispatch_uid="credit.receivers.person_verified")
def person_verified_received(sender, user_id: int, **kwargs) -> None:
    """A person's institution vouched for them (sent after commit): their identity dimension changes."""
    enqueue_recompute(f"user:{user_id}")
