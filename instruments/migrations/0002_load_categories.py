"""Load the national two-level classification of large instruments and China's provinces."""

from django.db import migrations

from instruments.category_data import CATEGORY_TREE
from instruments.region_data import PROVINCES


def load(apps, schema_editor):
    category_model = apps.get_model("instruments", "InstrumentCategory")
    region_model = apps.get_model("instruments", "Region")
    for top_order, (code, name_en, name_zh, children) in enumerate(CATEGORY_TREE, start=1):
        parent, _ = category_model.objects.update_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh, "sort_order": top_order, "parent": None}
        )
        for child_order, (child_code, child_en, child_zh) in enumerate(children, start=1):
            category_model.objects.update_or_create(
                code=child_code,
                defaults={"name_en": child_en, "name_zh": child_zh, "sort_order": child_order, "parent": parent},
            )
    for code, name_en, name_zh in PROVINCES:
        region_model.objects.update_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh})


class Migration(migrations.Migration):
    dependencies = [("instruments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
