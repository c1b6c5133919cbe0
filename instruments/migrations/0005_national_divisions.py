"""The full national division code list (GB/T 2260, three levels, both languages), with parent links.

Before this a fresh install knew only the 31 provinces, so a unit in Baotou (150200) could not register.
"""

from django.db import migrations, models

from instruments.region_data import regions_load


def load(apps, schema_editor):
    region_model = apps.get_model("instruments", "Region")
    regions_load(region_model)
    # Regions added by hand (not in the list) get their level from their depth.
    for region in region_model.objects.filter(parent__isnull=False, level=1):
        depth, parent = 1, region.parent
        while parent is not None and depth < 3:
            depth, parent = depth + 1, parent.parent
        region.level = depth
        region.save(update_fields=["level"])


class Migration(migrations.Migration):

    dependencies = [
        ("instruments", "0004_catalogue_order_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="region",
            name="level",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "Province-level division"), (2, "Prefecture-level division"), (3, "County-level division")],
                default=1,
                verbose_name="level",
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="region",
            index=models.Index(fields=["level", "code"], name="region_level_code_idx"),
        ),
        migrations.AddConstraint(
            model_name="region",
            constraint=models.CheckConstraint(
                condition=models.Q(("level__gte", 1), ("level__lte", 3)), name="region_level_one_to_three"
            ),
        ),
        # Data last: PostgreSQL refuses ALTER TABLE while deferred foreign-key checks are pending.
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
