from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from . import (
            notifications,  # noqa: F401 - registers the statement mail task
            receivers,  # noqa: F401 - charges from bookings' booking_completed / no_show / cancelled_late
        )
