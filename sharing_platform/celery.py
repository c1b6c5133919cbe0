"""The Celery application. Configuration comes from Django settings (prefix CELERY_)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharing_platform.settings")

# Every task handles a message of the transactional outbox at most once per message id (see outbox/consumer.py).
app = Celery("sharing_platform", task_cls="sharing_platform.outbox.consumer:OutboxTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
