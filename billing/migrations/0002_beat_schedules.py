"""Billing's beat schedules as django-celery-beat rows (admins can see and change them)."""

import json

from django.db import migrations

SCHEDULES = [
    # (name, task, crontab minute, hour, day_of_month)
    ("billing: mark overdue statements (daily)", "billing.tasks.mark_statements_overdue", "30", "1", "*"),
    ("billing: issue monthly statements (1st of the month)", "billing.tasks.issue_monthly_statements", "0", "3", "1"),
]


def create_schedules(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour, day_of_month in SCHEDULES:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month=day_of_month,
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        task_model.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "args": json.dumps([]), "enabled": True}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
