
from django.conf import settings
"""Indexes for every order the catalogue offers (issue 14.1), so a first page walks an index instead of sorting.

The filter orders ascending as `x ASC NULLS LAST, id` (a plain btree serves it, on every database) and
descending as `x DESC NULLS LAST, id ASC`: PostgreSQL serves that only from an index written the same
way, which SQLite cannot express, so the descending ones are created on PostgreSQL only. The English
name order is the expression of models.english_or_chinese(), written out exactly as Django renders it.
"""

from django.db import migrations, models

DESCENDING = {
    "instrument_name_desc_idx": ("instruments_instrument", '"name" DESC NULLS LAST, "id"'),
    "instrument_name_en_desc_idx": (
        "instruments_instrument",
        '(COALESCE(NULLIF("name_en", \'\'), "name")) DESC NULLS LAST, "id"',
    ),
    "instrument_created_desc_idx": ("instruments_instrument", '"created_at" DESC NULLS LAST, "id"'),
    "instrument_rate_desc_idx": ("instruments_instrument", '"hourly_rate_external" DESC NULLS LAST, "id"'),
    "instrument_value_desc_idx": ("instruments_instrument", '"original_value" DESC NULLS LAST, "id"'),
    "unit_credit_desc_idx": ("instruments_unit", '"credit_score" DESC NULLS LAST, "id"'),
}


def create_descending(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in DESCENDING.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def drop_descending(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in DESCENDING:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('instruments', '0007_instrument_photos'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(create_descending, drop_descending),
        migrations.AddIndex(
            model_name='instrument',
            index=models.Index(fields=['created_at', 'id'], name='instrument_created_id_idx'),
        ),
        migrations.AddIndex(
            model_name='instrument',
            index=models.Index(fields=['hourly_rate_external', 'id'], name='instrument_rate_id_idx'),
        ),
        migrations.AddIndex(
            model_name='instrument',
            index=models.Index(fields=['original_value', 'id'], name='instrument_value_id_idx'),
        ),
        migrations.AddIndex(
            model_name='unit',
            index=models.Index(fields=['credit_score', 'id'], name='unit_credit_id_idx'),
        ),
    ]
