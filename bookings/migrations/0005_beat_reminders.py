"""The reminder sweep as a django-celery-beat row, like every other periodic task (admins can see,
change or pause it). Created only where missing: a row that beat made earlier keeps its settings."""

import json

from django.db import migrations

NAME = "bookings: send reminders (every 15 minutes)"
TASK = "bookings.notifications.send_reminders"


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
        ("bookings", "0004_booking_events_append_only"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
