"""Repair proof documents are stored under random names (issue 12.1); existing files are moved to random names."""

from django.db import migrations, models

import sharing_platform.uploads


def rename_existing(apps, schema_editor):
    sharing_platform.uploads.rename_stored_files(apps.get_model("credit", "RepairRequest"), "proof_file")


class Migration(migrations.Migration):

    dependencies = [
        ("credit", "0004_creditevent_source_statement"),
    ]

    operations = [
        migrations.AlterField(
            model_name="repairrequest",
            name="proof_file",
            field=models.FileField(
                blank=True,
                upload_to=sharing_platform.uploads.RandomUploadPath("credit/repair"),
                verbose_name="proof document",
            ),
        ),
        # Backwards keeps the random names: they are valid names for the old field too.
        migrations.RunPython(rename_existing, migrations.RunPython.noop),
    ]
