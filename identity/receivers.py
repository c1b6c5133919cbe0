"""Identity's answers to the accounts layer: a new account, or a newly confirmed address, is checked for
re-registration (connected in IdentityConfig.ready())."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .persons import reregistration_check


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="identity.receivers.account_saved")
def account_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """Only when the address may be new: the account was created, or its e-mail field was saved."""
    if kwargs.get("raw") or not instance.email:
        return
    if created or (update_fields is not None and "email" in update_fields):
        reregistration_check(user=instance)
