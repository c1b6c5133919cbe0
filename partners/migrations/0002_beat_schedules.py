"""Partner housekeeping as django-celery-beat rows (admins can see, change or pause them)."""

import json

from django.db import migrations

SCHEDULES = [
    # (name, task, every, period)
    ("partners: purge old idempotency keys (hourly)", "partners.tasks.purge_idempotency_records", 1, "hours"),
    ("partners: resume lost webhook deliveries (every 5 minutes)", "partners.tasks.resume_webhook_deliveries", 5,
     "minutes"),
]


def create_schedules(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period in SCHEDULES:
        interval, _ = interval_model.objects.get_or_create(every=every, period=period)
        task_model.objects.update_or_create(
            name=name, defaults={"task": task, "interval": interval, "args": json.dumps([]), "enabled": True}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
