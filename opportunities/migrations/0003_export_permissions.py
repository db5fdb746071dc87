"""Exporting opportunities and their payments ('export this view'): administrators."""

from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {"管理员": ["opportunities.export_opportunity"]}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0002_role_grants"),
        ("crm", "0002_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="opportunity",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    (
                        "reassign_opportunity",
                        "Can reassign the owner of any opportunity",
                    ),
                    ("export_opportunity", "Can export opportunities"),
                ],
                "verbose_name": "opportunity",
                "verbose_name_plural": "opportunities",
            },
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
