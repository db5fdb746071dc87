from django.db import migrations

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
ROLES = ["管理员", "销售经理", "销售专员", "客服", "客户成功"]
GRANTS = {
    "管理员": [
        "crm.view_customfield",
        "crm.add_customfield",
        "crm.change_customfield",
        "crm.delete_customfield",
        "crm.view_securityevent",
    ],
}


def forwards(apps, schema_editor):
    grant_role_permissions(apps, {role: GRANTS.get(role, []) for role in ROLES})


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
