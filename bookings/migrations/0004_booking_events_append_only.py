"""A booking's history is kept by the database itself (issue 12, item 7).

On PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE of booking events, whoever connects, except
TRUNCATE by the table owner in a session that set ``sharing_platform.flush = on`` (the test runner's flush
only; see credit's migration 0004 and sharing_platform/database/append_only.py for why). The booking and
the actor of an event are PROTECTed: deleting either is refused rather than dropping or blanking history.
On SQLite the trigger operation does nothing.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sharing_platform.database.append_only import append_only


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0003_incident_files_random_names'),
        ('credit', '0006_append_only_triggers'),  # creates the trigger functions
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='bookingevent',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='bookingevent',
            name='booking',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='bookings.booking', verbose_name='booking'),
        ),
        append_only(
            'bookings_bookingevent',
            "A booking's history is never changed or deleted: a state change adds an event.",
        ),
    ]
