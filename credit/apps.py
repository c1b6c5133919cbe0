from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit")

    def ready(self):
        from .services import credit_subject_changed_connect
        from .tasks import enqueue_recompute

        # Every ledger event queues its subject's recompute once the transaction commits.
        credit_subject_changed_connect(enqueue_recompute)
