"""Credit's answers to lower layers' signals (connected in CreditConfig.ready())."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from identity.signals import person_account_joined, person_verified
from sharing_platform import outbox

from .models import ListEntry
from .services.list_ends import ENDED_STATUSES, list_entry_end_robots_notify
from .services.persons import person_account_joined_follow
from .tasks import recompute_subject_task

logger = logging.getLogger(__name__)


@receiver(person_verified, dispatch_uid="credit.receivers.person_verified")
def person_verified_received(sender, user_id: int, **kwargs) -> None:
    """A person's institution vouched for them (sent in the transaction): their identity dimension changes."""
    outbox.enqueue(recompute_subject_task, f"user:{user_id}")


@receiver(person_account_joined, dispatch_uid="credit.receivers.person_account_joined")
def person_account_joined_received(sender, user_id: int, **kwargs) -> None:
    """An account joined a person (sent in the transaction): the person's record follows it, in the same
    transaction, so a refused join leaves nothing behind (issue 18.2)."""
    person_account_joined_follow(user_id=user_id)


@receiver(post_save, sender=ListEntry, dispatch_uid="credit.receivers.list_entry_ended")
def list_entry_saved(sender, instance: ListEntry, created: bool, **kwargs) -> None:
    """A published entry ended by save() (an objection upheld, a repair granted, a mirror ended with its original):
    the robots told of its publication are told of its end, in the same transaction (services.list_ends)."""
    if created or instance.status not in ENDED_STATUSES:
        return
    try:
        with transaction.atomic():  # a savepoint: a robot problem never undoes the decision that ended the entry
            list_entry_end_robots_notify(instance)
    except Exception:  # the hourly expire task tells the robots later (list_entries_ended_robots_notify)
        logger.exception("could not queue the robot messages for the end of list entry %s", instance.pk)
