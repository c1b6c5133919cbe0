"""The sweep that records one-sided facts whose window to contest has passed, as a django-celery-beat row
(admins can see, change or pause it). Created only where missing: a row that beat made earlier keeps its settings."""

import json

from django.db import migrations

NAME = "bookings: record uncontested facts (every 15 minutes)"
TASK = "bookings.tasks.record_uncontested_facts"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    if task_model.objects.filter(name=NAME).exists():
        return
    interval, _ = interval_model.objects.get_or_create(every=15, period="minutes")
    task_model.objects.create(name=NAME, task=TASK, interval=interval, args=json.dumps([]), enabled=True)


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0007_contestable_facts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
