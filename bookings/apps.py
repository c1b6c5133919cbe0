from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        from . import (
            notifications,  # noqa: F401 - connects the mail receiver to booking_changed
            receivers,  # noqa: F401 - answers instruments' instrument_retiring signal
            robots,  # noqa: F401 - booking decisions to WeCom / DingTalk group robots
        )
