from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# DESIGN §4's follow-up and ticket columns as model-level grants, applied by
# the migration followups/0002 (a test checks the roles hold exactly these).
# Row-level access (a rep's own follow-ups, tickets of visible customers, the
# assignee) comes from the querysets in models.py.
ROLE_GRANTS = {
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
        "followups.export_followup",
        "followups.export_ticket",
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


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-ups and tickets")

    def ready(self):
        from crm.registry import registry

        registry.add_role_grants("followups", ROLE_GRANTS)
        self.ready_followups(registry)
        self.ready_tickets(registry)
        from .importing import FOLLOWUPS, TICKETS

        registry.add_importer(FOLLOWUPS)
        registry.add_importer(TICKETS)

    def ready_followups(self, registry):
        """Follow-ups: the list, the agenda (page, panel, nav count, feed),
        the customer page's timeline, overdue-plan notifications, demo data."""
        from crm import permissions
        from crm.registry import NavItem, Panel, RecordSection

        from . import demo, notifying, panels
        from .lists import FOLLOWUP_LIST
        from .models import FollowUp

        registry.add_urls("followups/", "followups.urls")
        registry.add_list(FOLLOWUP_LIST)
        registry.add_nav(
            NavItem(
                "followups:agenda",
                _("Agenda"),
                15,
                visible=lambda user: permissions.has_model_perm(user, FollowUp, "add"),
                badge=panels.agenda_badge,
            )
        )
        registry.add_nav(
            NavItem(
                "followups:followup_list",
                _("Follow-ups"),
                30,
                sections=("followups",),
            )
        )
        registry.add_panel(
            Panel("followups.agenda", "followups/panels/agenda.html", panels.agenda, 3)
        )
        registry.add_record_section(
            "customers.customer",
            RecordSection(
                "followups",
                "followups/sections/followups.html",
                panels.customer_followups,
                10,
            ),
        )
        registry.add_notification_sweep("followups.overdue", notifying.overdue_plans)
        registry.add_demo_seeder("followups", demo.seed, 20)

    def ready_tickets(self, registry):
        """Service tickets: the queue at /tickets/, its panel and customer card."""
        from crm.registry import NavItem, Panel, RecordSection

        from . import ticket_demo, ticket_panels
        from .ticket_lists import TICKET_LIST

        registry.add_urls("tickets/", "followups.ticket_urls")
        registry.add_list(TICKET_LIST)
        registry.add_nav(
            NavItem(
                "tickets:ticket_list",
                _("Tickets"),
                40,
                sections=("tickets",),
                badge=ticket_panels.open_assigned_count,
            )
        )
        registry.add_panel(
            Panel("tickets.queue", "tickets/panels/queue.html", ticket_panels.queue, 8)
        )
        registry.add_record_section(
            "customers.customer",
            RecordSection(
                "tickets",
                "tickets/sections/tickets.html",
                ticket_panels.customer_tickets,
                30,
            ),
        )
        registry.add_demo_seeder("tickets", ticket_demo.seed, 30)
