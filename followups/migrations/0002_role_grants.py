"""The follow-up and ticket columns of DESIGN §4 as model-level role grants."""

from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {
    "管理员": [
        "followups.view_followup",
        "followups.add_followup",
        "followups.change_followup",
        "followups.delete_followup",
        "followups.view_ticket",
        "followups.add_ticket",
        "followups.change_ticket",
        "followups.delete_ticket",
        "followups.comment_ticket",
    ],
    "销售经理": [
        "followups.view_followup",
        "followups.add_followup",
        "followups.change_followup",
        "followups.delete_followup",
        "followups.view_ticket",
    ],
    # Create on the customers they may view (the form offers only those).
    "销售专员": ["followups.add_followup"],
    "客服": [
        "followups.view_followup",
        "followups.view_ticket",
        "followups.add_ticket",
        "followups.change_ticket",
        "followups.delete_ticket",
        "followups.comment_ticket",
    ],
    "客户成功": ["followups.add_followup"],
}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0001_initial"),
        ("crm", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
