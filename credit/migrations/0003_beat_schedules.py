"""Nightly and periodic credit schedules as django-celery-beat rows (admins can see and change them)."""

import json

from django.db import migrations

SCHEDULES = [
    # (name, task, crontab minute, hour, day_of_month, month_of_year)
    ("credit: recompute all scores (nightly)", "credit.tasks.recompute_all_task", "15", "2", "*", "*"),
    ("credit: propose list entries (nightly)", "credit.tasks.propose_list_entries_task", "15", "4", "*", "*"),
    ("credit: expire list entries (hourly)", "credit.tasks.expire_list_entries_task", "5", "*", "*", "*"),
    ("credit: review trusted provider badges (daily)", "credit.tasks.review_trusted_badges_task", "45", "4", "*", "*"),
]


def create_schedules(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour, day_of_month, month_of_year in SCHEDULES:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            timezone="Asia/Shanghai",
        )
        task_model.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "args": json.dumps([]), "enabled": True}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0002_scores_lists_appeals"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
