from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstrumentsConfig(AppConfig):
    name = "instruments"
    verbose_name = _("Units and instruments")

    def ready(self):
        from . import catalogue_cache  # noqa: F401 (connects the receivers that forget cached catalogue pages)
