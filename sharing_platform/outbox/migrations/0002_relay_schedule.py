"""The outbox relay as a django-celery-beat row (admins can see, change or pause it), as the apps do."""

import json

from django.db import migrations

NAME = "outbox: relay pending task messages (every 15 seconds)"
TASK = "sharing_platform.outbox.tasks.relay_outbox"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=15, period="seconds")
    task_model.objects.update_or_create(
        name=NAME,
        # A relay message older than a minute is dropped: the next one does the same work.
        defaults={"task": TASK, "interval": interval, "args": json.dumps([]), "enabled": True, "expire_seconds": 60},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
