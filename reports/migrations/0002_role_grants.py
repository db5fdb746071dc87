"""The reports column of DESIGN §4 as grants on the Report permission holder,
and the sales targets to the roles that set them."""

from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {
    "管理员": [
        "reports.sales_report",
        "reports.service_report",
        "reports.actions_report",
        "reports.team_report",
        "reports.view_salestarget",
        "reports.add_salestarget",
        "reports.change_salestarget",
        "reports.delete_salestarget",
    ],
    "销售经理": [
        "reports.sales_report",
        "reports.service_report",
        "reports.actions_report",
        "reports.team_report",
        "reports.view_salestarget",
        "reports.add_salestarget",
        "reports.change_salestarget",
        "reports.delete_salestarget",
    ],
    "销售专员": [
        "reports.sales_report",
        "reports.service_report",
        "reports.actions_report",
    ],
    "客服": [
        "reports.service_report",
    ],
    "客户成功": [
        "reports.service_report",
        "reports.actions_report",
    ],
}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_targets"),
        ("crm", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
