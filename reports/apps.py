from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# DESIGN §4's reports column as grants on the permission holder `Report`
# (applied by migrations reports/0002 and 0003; a test checks the roles hold
# exactly these). What a report counts is still what `for_user()` lets the
# viewer see: a rep's sales reports hold the rep's own figures.
ROLE_GRANTS = {
    "管理员": [
        "reports.sales_report",
        "reports.service_report",
        "reports.actions_report",
        "reports.team_report",
        "reports.export_report",
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
    "客服": ["reports.service_report"],
    "客户成功": ["reports.service_report", "reports.actions_report"],
}


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from crm.registry import NavItem, Panel, registry

        from . import demo, panels
        from .catalog import reports_for

        registry.add_role_grants("reports", ROLE_GRANTS)
        registry.add_demo_seeder("reports", demo.seed, 40)
        registry.add_urls("reports/", "reports.urls")
        registry.add_nav(
            NavItem(
                "reports:index",
                _("Reports"),
                60,
                visible=lambda user: bool(reports_for(user)),
                sections=("reports",),
            )
        )
        registry.add_panel(
            Panel(
                "reports.dashboard",
                "reports/panels/dashboard.html",
                panels.dashboard,
                1,
            )
        )
        registry.add_panel(
            Panel(
                "reports.target_progress",
                "reports/panels/target_progress.html",
                panels.target_progress,
                2,
            )
        )
