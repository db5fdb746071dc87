"""The five roles of DESIGN §4 as Django groups, and how apps grant them permissions.

A model-level permission held through a role means "on every record" (the
"all" cells of the role table); record-by-record access comes from the
record's own columns (owner, success manager) and shares instead. Each app
lists its role grants in its registry entry and applies them in a migration
with `grant_role_permissions`, which refuses a permission that does not exist.
Code asks permissions, never group names; the names below are for display and
for the migrations that create the groups.
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

# The core's own model-level grants (custom fields, the security log).
CORE_GRANTS = {
    ADMIN: [
        "crm.view_customfield",
        "crm.add_customfield",
        "crm.change_customfield",
        "crm.delete_customfield",
        "crm.view_securityevent",
        # Rename and delete the views colleagues share on a list.
        "crm.change_savedview",
        "crm.delete_savedview",
    ],
}


class MissingPermission(LookupError):
    """A role grant names a permission that does not exist."""


def grant_role_permissions(apps, grants: dict[str, list[str]]) -> None:
    """Create missing role groups and give them `grants` (a data migration's step).

    Permissions are normally created after all migrations; the grants need
    them now, so they are created first for every app. A grant naming a
    permission that still does not exist is a bug in the migration: it fails
    loudly instead of leaving a role without it on a fresh install.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration's app configs carry no models module, which makes
        # create_permissions() skip them; restore whatever was there.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = models_module
    _give(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), grants)


def sync_registered_roles() -> None:
    """Give every role the grants the apps registered, with the live models.

    For a database whose rows were flushed (browser tests) and for checks; on
    a real install the migrations give the same grants."""
    from django.apps import apps

    from .registry import registry

    grants = {role: [] for role in ROLE_LABELS}
    for app_grants in registry.role_grants.values():
        for role, perms in app_grants.items():
            grants[role] += perms
    _give(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), grants)


def _give(group_model, permission_model, grants: dict[str, list[str]]) -> None:
    for name, perms in grants.items():
        group, _created = group_model.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is None:
                raise MissingPermission(f"role {name}: no permission {dotted}")
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
