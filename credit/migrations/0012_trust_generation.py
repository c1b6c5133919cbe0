"""The trust vector's fingerprint as one row (issue 14.4), kept by statement triggers on the endorsements and the
units (PostgreSQL only; SQLite keeps aggregating both tables). See credit/scoring/trust.py."""

from django.db import migrations


def install(apps, schema_editor):
    from credit.scoring.trust import GENERATION_INSTALL_SQL

    if schema_editor.connection.vendor == "postgresql":
        for statement in GENERATION_INSTALL_SQL:
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    from credit.scoring.trust import GENERATION_UNINSTALL_SQL

    if schema_editor.connection.vendor == "postgresql":
        for statement in GENERATION_UNINSTALL_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("credit", "0011_ledger_summary"),
        ("instruments", "0008_catalogue_order_indexes"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
