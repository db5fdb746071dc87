from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The administrator role's grants for this app, applied by the migration
# administration/0002 (a test checks the roles hold exactly what apps register).
ROLE_GRANTS = {
    "管理员": [
        "administration.manage_settings",
        "administration.view_companysettings",
        "administration.change_companysettings",
    ],
}


class AdministrationConfig(AppConfig):
    """The in-app settings at /settings/: its index lists the sections every
    module registers (`registry.add_settings_section`); this app contributes
    custom fields, users and roles, and the company's settings."""

    name = "administration"
    verbose_name = _("Settings")

    def ready(self):
        from crm.registry import NavItem, SettingsSection, registry

        from . import access

        registry.add_urls("settings/", "administration.urls")
        registry.add_nav(
            NavItem(
                "administration:index",
                _("Settings"),
                95,
                visible=access.may_open_settings,
                sections=("administration", "customer_settings"),
            )
        )
        registry.add_settings_section(
            SettingsSection(
                "administration:customfield_list",
                _("Custom fields"),
                _(
                    "Extra fields on customers and other records: type, choices, "
                    "required, shown in lists, filterable."
                ),
                10,
                visible=access.may_manage_custom_fields,
            )
        )
        registry.add_settings_section(
            SettingsSection(
                "administration:user_list",
                _("Users and roles"),
                _(
                    "Who may sign in and with which role; new colleagues, "
                    "passwords, leavers."
                ),
                30,
                visible=access.may_manage_users,
            )
        )
        registry.add_settings_section(
            SettingsSection(
                "administration:company_update",
                _("Company"),
                _(
                    "Your company's name, shown in every page title, and its "
                    "contact details."
                ),
                40,
                visible=access.may_manage_company,
            )
        )
        registry.add_role_grants("administration", ROLE_GRANTS)
