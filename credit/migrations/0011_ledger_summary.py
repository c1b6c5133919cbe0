"""The ledger summary (issue 14.2 and 14.4): groups of the ledger kept by the database on PostgreSQL.

The table, then (PostgreSQL only) its parameters' table, the statement-level trigger that appends the groups of
each INSERT/COPY into the ledger, and the rows for the ledger as it is. See credit/scoring/summary.py.
"""

from django.db import migrations, models


def install(apps, schema_editor):
    from credit.scoring import summary

    summary.install()


def uninstall(apps, schema_editor):
    from credit.scoring import summary

    summary.uninstall()


class Migration(migrations.Migration):

    dependencies = [
        ('credit', '0010_person_behind_accounts'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerSummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject_key', models.CharField(db_index=True, max_length=32)),
                ('subject_unit_id', models.BigIntegerField(null=True)),
                ('subject_user_id', models.BigIntegerField(null=True)),
                ('kind', models.CharField(max_length=32)),
                ('polarity', models.SmallIntegerField()),
                ('severity', models.CharField(max_length=8)),
                ('day', models.DateField()),
                ('scaled', models.FloatField()),
                ('kept_scaled', models.FloatField(default=0.0)),
                ('broken_scaled', models.FloatField(default=0.0)),
                ('through', models.DateField(null=True)),
                ('n', models.BigIntegerField()),
                ('first_day', models.DateField()),
                ('last_day', models.DateField()),
                ('w', models.DecimalField(decimal_places=4, max_digits=20)),
                ('vw', models.DecimalField(decimal_places=8, max_digits=30)),
                ('last_recorded_at', models.DateTimeField()),
                ('last_occurred_at', models.DateTimeField()),
                ('folded', models.BooleanField(default=False)),
            ],
            options={
                'verbose_name': 'ledger summary row',
                'verbose_name_plural': 'ledger summary rows',
                'indexes': [models.Index(fields=['subject_unit_id'], name='credit_summary_unit'), models.Index(fields=['subject_user_id'], name='credit_summary_user'), models.Index(condition=models.Q(('folded', False)), fields=['subject_key'], name='credit_summary_appended')],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
