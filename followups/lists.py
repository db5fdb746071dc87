"""The follow-up list's columns, registered in FollowupsConfig.ready().

The defaults fit a 1440 px screen; on a phone each row is a card with the
customer, time, method, follower, content and the next plan.
"""

from django.utils.translation import gettext_lazy as _

from crm.lists import Column, ListSpec

FOLLOWUP_LIST = ListSpec(
    key="followups",
    url_name="followups:followup_list",
    label=_("Follow-ups"),
    custom_field_target="followup",
    custom_before="updated_at",
    columns=(
        Column("occurred_at", _("Time"), sort="occurred_at", locked=True, card=True),
        Column("customer", _("Customer"), card=True),
        Column("method", _("Method"), card=True),
        Column("user", _("Followed up by"), card=True),
        Column("content", _("Content"), card=True),
        Column("feedback", _("Customer feedback")),
        Column("next_plan", _("Next follow-up"), sort="next_at", card=True),
        # The deal, for readers who may see it (others get "—").
        Column("opportunity", _("Opportunity"), default=False),
        Column("record_no", _("Record ID"), sort="record_no", default=False),
        Column("updated_at", _("Last updated"), sort="updated_at", default=False),
    ),
)
