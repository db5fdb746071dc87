"""Who may open which settings section; the sections' views ask the same.

Everything under /settings/ needs the role's `administration.manage_settings`
(the administrator role); a section about a model also needs the role's
model permission on it, so a role never edits in the settings what it could
not edit elsewhere.
"""

from crm import permissions
from crm.models import CustomField
from crm.registry import registry

MANAGE_SETTINGS = "administration.manage_settings"


def may_manage_settings(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.has_perm(MANAGE_SETTINGS)


def may_manage_custom_fields(user) -> bool:
    return may_manage_settings(user) and permissions.has_model_perm(
        user, CustomField, "change"
    )


def may_manage_users(user) -> bool:
    return may_manage_settings(user)


def may_manage_company(user) -> bool:
    from .models import CompanySettings

    return may_manage_settings(user) and permissions.has_model_perm(
        user, CompanySettings, "change"
    )


def may_open_settings(user) -> bool:
    """The index (and its navigation entry) opens when any section does."""
    return bool(registry.settings_sections_for(user))
