"""Exporting follow-ups and tickets ('export this view'): administrators."""

from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {"管理员": ["followups.export_followup", "followups.export_ticket"]}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0005_followup_opportunity"),
        ("crm", "0002_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="followup",
            options={
                "ordering": ["-occurred_at", "-id"],
                "permissions": [("export_followup", "Can export follow-ups")],
                "verbose_name": "follow-up",
                "verbose_name_plural": "follow-ups",
            },
        ),
        migrations.AlterModelOptions(
            name="ticket",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("comment_ticket", "Can comment on any ticket"),
                    ("export_ticket", "Can export tickets"),
                ],
                "verbose_name": "ticket",
                "verbose_name_plural": "tickets",
            },
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
