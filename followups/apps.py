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
