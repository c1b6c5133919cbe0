"""The Celery application. Configuration comes from Django settings (prefix CELERY_)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharing_platform.settings")

# Every task handles a message of the transactional outbox at most once per message id (see outbox/consumer.py).
app = Celery("sharing_platform", task_cls="sharing_platform.outbox.consumer:OutboxTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Without CELERY_BROKER_URL tasks run in-process (task_always_eager). Celery still borrows a producer from
# the broker pool for every eager call (only to read its serializer); with no URL that pool is built for
# the default AMQP transport without a host, and kombu logs "No hostname was supplied. Reverting to default
# 'localhost'" at the first booking. An in-memory transport with an explicit host is never contacted.
IN_PROCESS_BROKER_URL = "memory://localhost/"


@app.on_after_configure.connect
def _in_process_broker(sender, source, **kwargs):
    if source.task_always_eager and not source.broker_url:
        source.broker_url = IN_PROCESS_BROKER_URL
