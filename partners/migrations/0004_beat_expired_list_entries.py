"""The hourly announcement of list entries that ran out (list_entry.lifted), as a django-celery-beat row."""

import json

from django.db import migrations

NAME = "partners: announce expired list entries (hourly)"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=1, period="hours")
    task_model.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "partners.tasks.announce_expired_list_entries",
            "interval": interval,
            "args": json.dumps([]),
            "enabled": True,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_billing_scope_and_statement_webhook"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
