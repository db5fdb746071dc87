"""Merging duplicate customers: administrators and sales managers (DESIGN §4)."""

from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {
    "管理员": ["customers.merge_customer"],
    "销售经理": ["customers.merge_customer"],
}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_duplicates_and_merge"),
        ("crm", "0005_merge_kinds"),
    ]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
