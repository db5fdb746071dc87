"""The customer module's role grants (DESIGN §4), and owner/success-manager
access moved from grant rows to the holder columns."""

from django.db import migrations
from django.db.models import Exists, OuterRef

from crm.roles import grant_role_permissions

# Frozen here: a migration gives what the code asked for when it was written.
GRANTS = {
    "管理员": [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.delete_customer",
        "customers.reassign_customer",
        "customers.export_customer",
        "customers.renew_customer",
        "customers.view_tag",
        "customers.add_tag",
        "customers.change_tag",
        "customers.delete_tag",
    ],
    "销售经理": [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.reassign_customer",
        "customers.renew_customer",
        "customers.view_tag",
    ],
    "销售专员": ["customers.add_customer", "customers.view_tag"],
    "客服": ["customers.view_customer", "customers.view_tag"],
    "客户成功": ["customers.manage_success_customer", "customers.view_tag"],
}


def grant_roles(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


def drop_holder_grants(apps, schema_editor):
    """Owners and success managers now reach their customers through the
    customer's own columns; their old grant rows would outlive a reassignment."""
    Grant = apps.get_model("customers", "CustomerUserObjectPermission")
    Customer = apps.get_model("customers", "Customer")
    holders = {
        "owner_id": ("view_customer", "change_customer"),
        "success_manager_id": ("view_customer", "renew_customer"),
    }
    for column, codenames in holders.items():
        held = Customer.objects.filter(
            pk=OuterRef("content_object_id"), **{column: OuterRef("user_id")}
        )
        Grant.objects.filter(permission__codename__in=codenames).filter(
            Exists(held)
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_holder_indexes_and_success_permission"),
        ("crm", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
        migrations.RunPython(drop_holder_grants, migrations.RunPython.noop),
    ]
