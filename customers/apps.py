from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The model-level grants of DESIGN §4's customer column, applied by the
# migrations customers/0005 and 0009 (a test checks the roles hold exactly these).
ROLE_GRANTS = {
    "管理员": [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.delete_customer",
        "customers.reassign_customer",
        "customers.export_customer",
        "customers.renew_customer",
        "customers.merge_customer",
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
        "customers.merge_customer",
        "customers.view_tag",
    ],
    "销售专员": ["customers.add_customer", "customers.view_tag"],
    "客服": ["customers.view_customer", "customers.view_tag"],
    "客户成功": ["customers.manage_success_customer", "customers.view_tag"],
}


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from crm import permissions
        from crm.registry import NavItem, Panel, SettingsSection, registry

        from . import panels
        from .lists import CUSTOMER_LIST
        from .models import Customer, Tag

        registry.add_urls("customers/", "customers.urls")
        registry.add_list(CUSTOMER_LIST)
        registry.add_nav(
            NavItem(
                "customers:customer_list",
                _("Customers"),
                20,
                sections=("customers",),
            )
        )
        registry.add_nav(
            NavItem(
                "customers:customer_duplicates",
                _("Duplicates"),
                85,
                visible=lambda user: permissions.has_model_perm(
                    user, Customer, "merge"
                ),
            )
        )
        registry.add_nav(
            NavItem(
                "customers:customer_trash",
                _("Trash"),
                90,
                visible=lambda user: permissions.has_model_perm(
                    user, Customer, "delete"
                ),
            )
        )
        for name, function, order in (
            ("team", panels.team, 5),
            ("mine", panels.my_customers, 10),
            ("managed", panels.managed, 12),
            ("lookup", panels.lookup, 15),
            ("renewals", panels.renewals, 20),
        ):
            registry.add_panel(
                Panel(
                    f"customers.{name}",
                    f"customers/panels/{name}.html",
                    function,
                    order,
                )
            )
        registry.add_urls("settings/tags/", "customers.settings_urls")
        registry.add_settings_section(
            SettingsSection(
                "customer_settings:tag_list",
                _("Tags"),
                _("Labels on customers: names, colours, merging duplicates."),
                20,
                visible=lambda user: permissions.has_model_perm(user, Tag, "change"),
            )
        )
        registry.add_role_grants("customers", ROLE_GRANTS)
        from .importing import CONTACTS, CUSTOMERS

        registry.add_importer(CUSTOMERS)
        registry.add_importer(CONTACTS)
