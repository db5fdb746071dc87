"""DESIGN §4: only admins export, and a report's .xlsx is an export; the
permission that says so, given to the admin role."""

from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {"管理员": ["reports.export_report"]}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_role_grants")]

    operations = [
        migrations.AlterModelOptions(
            name="report",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    (
                        "sales_report",
                        "Can open the sales reports (distribution, funnel, team, value)",
                    ),
                    ("service_report", "Can open the service report"),
                    ("actions_report", "Can open the action lists"),
                    ("team_report", "Can see every user's figures and set targets"),
                    ("export_report", "Can download reports as .xlsx"),
                ],
                "verbose_name": "report",
                "verbose_name_plural": "reports",
            },
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
