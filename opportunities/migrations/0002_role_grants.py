"""The opportunity column of DESIGN §4 as model-level role grants."""

from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {
    "管理员": [
        "opportunities.view_opportunity",
        "opportunities.add_opportunity",
        "opportunities.change_opportunity",
        "opportunities.delete_opportunity",
        "opportunities.reassign_opportunity",
    ],
    "销售经理": [
        "opportunities.view_opportunity",
        "opportunities.add_opportunity",
        "opportunities.change_opportunity",
        "opportunities.delete_opportunity",
        "opportunities.reassign_opportunity",
    ],
    "销售专员": ["opportunities.add_opportunity"],
}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0001_initial"),
        ("crm", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
