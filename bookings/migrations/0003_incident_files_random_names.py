"""Incident evidence is stored under random names (issue 12.1); existing files are moved to random names."""

from django.db import migrations, models

import sharing_platform.uploads


def rename_existing(apps, schema_editor):
    sharing_platform.uploads.rename_stored_files(apps.get_model("bookings", "IncidentAttachment"), "file")


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0002_beat_mark_no_shows"),
    ]

    operations = [
        migrations.AlterField(
            model_name="incidentattachment",
            name="file",
            field=models.FileField(
                upload_to=sharing_platform.uploads.RandomUploadPath("incidents"), verbose_name="file"
            ),
        ),
        # Backwards keeps the random names: they are valid names for the old field too.
        migrations.RunPython(rename_existing, migrations.RunPython.noop),
    ]
