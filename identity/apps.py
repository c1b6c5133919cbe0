from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Institutional sign-on")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 -- connects the re-registration check
