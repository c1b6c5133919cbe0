from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self):
        from . import schema, signals  # noqa: F401 - schema registers the Api-Key security scheme

        # Booking state changes, list entries and score tiers become webhook events (see signals.py).
        signals.connect()
