"""The five roles of DESIGN §4 as Django groups with their model-level permissions.

A model-level permission held through a role means "on every record" (the
"all" cells of the role table); record-by-record access comes from object
permissions (owner grants and shares) instead. Admins edit the groups in the
Django admin; `sync_roles` (run by a migration) only adds what is missing.
"""

from django.utils.translation import gettext_lazy as _

ADMIN = "管理员"
SALES_MANAGER = "销售经理"
SALES_REP = "销售专员"
SERVICE = "客服"
SUCCESS = "客户成功"

ROLE_LABELS = {
    ADMIN: _("Administrator"),
    SALES_MANAGER: _("Sales manager"),
    SALES_REP: _("Sales rep"),
    SERVICE: _("Customer service"),
    SUCCESS: _("Customer success"),
}

# app_label.codename held on every record of the model.
ROLE_PERMISSIONS = {
    ADMIN: [
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
        "crm.view_customfield",
        "crm.add_customfield",
        "crm.change_customfield",
        "crm.delete_customfield",
        "crm.view_securityevent",
    ],
    SALES_MANAGER: [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.reassign_customer",
        "customers.renew_customer",
        "customers.view_tag",
    ],
    SALES_REP: [
        "customers.add_customer",
        "customers.view_tag",
    ],
    SERVICE: [
        "customers.view_customer",
        "customers.view_tag",
    ],
    SUCCESS: [
        "customers.view_tag",
    ],
}

# Roles whose members may be given edit access to a single customer.
EDITING_ROLES = {ADMIN, SALES_MANAGER, SALES_REP}


def sync_roles(group_model, permission_model) -> None:
    """Create missing role groups and give them their model-level permissions."""
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                group.permissions.add(perm)


def role_names(user) -> list[str]:
    """The user's role group names, cached on the user for the request."""
    if not hasattr(user, "_crm_roles"):
        user._crm_roles = sorted(user.groups.values_list("name", flat=True))
    return user._crm_roles


def role_label(user) -> str:
    if user.is_superuser and ADMIN not in role_names(user):
        return str(ROLE_LABELS[ADMIN])
    return " / ".join(str(ROLE_LABELS.get(n, n)) for n in role_names(user))


def can_be_given_edit(user) -> bool:
    return user.is_superuser or bool(EDITING_ROLES & set(role_names(user)))
