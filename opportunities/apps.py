from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# DESIGN §4's opportunity column as model-level grants, applied by the
# migration opportunities/0002 (a test checks the roles hold exactly these).
# Row-level access (a rep's own deals and those of their customers, customer
# success reading their customers') comes from the queryset in models.py.
ROLE_GRANTS = {
    "管理员": [
        "opportunities.view_opportunity",
        "opportunities.add_opportunity",
        "opportunities.change_opportunity",
        "opportunities.delete_opportunity",
        "opportunities.reassign_opportunity",
        "opportunities.export_opportunity",
    ],
    "销售经理": [
        "opportunities.view_opportunity",
        "opportunities.add_opportunity",
        "opportunities.change_opportunity",
        "opportunities.delete_opportunity",
        "opportunities.reassign_opportunity",
    ],
    # Own deals and those of the customers they may view (the queryset).
    "销售专员": ["opportunities.add_opportunity"],
}


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities")

    def ready(self):
        from crm.registry import NavItem, Panel, RecordSection, registry

        from . import access, demo, panels
        from .lists import OPPORTUNITY_LIST

        registry.add_role_grants("opportunities", ROLE_GRANTS)
        registry.add_urls("opportunities/", "opportunities.urls")
        registry.add_list(OPPORTUNITY_LIST)
        registry.add_nav(
            NavItem(
                "opportunities:opportunity_list",
                _("Opportunities"),
                35,
                visible=access.may_use,
                sections=("opportunities",),
            )
        )
        registry.add_panel(
            Panel(
                "opportunities.mine",
                "opportunities/panels/mine.html",
                panels.mine,
                5,
            )
        )
        registry.add_panel(
            Panel(
                "opportunities.forecast",
                "opportunities/panels/forecast.html",
                panels.forecast,
                6,
            )
        )
        registry.add_record_section(
            "customers.customer",
            RecordSection(
                "opportunities",
                "opportunities/sections/opportunities.html",
                panels.customer_opportunities,
                20,
            ),
        )
        registry.add_demo_seeder("opportunities", demo.seed, 25)
        from .importing import OPPORTUNITIES, PAYMENTS

        registry.add_importer(OPPORTUNITIES)
        registry.add_importer(PAYMENTS)
