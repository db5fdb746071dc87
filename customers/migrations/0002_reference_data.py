from django.db import migrations

from customers.reference import load_reference, seed_tags


def forwards(apps, schema_editor):
    load_reference(apps.get_model("customers", "Industry"), apps.get_model("customers", "Region"))
    seed_tags(apps.get_model("customers", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
