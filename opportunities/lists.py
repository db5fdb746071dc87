"""The opportunity list's columns, registered in OpportunitiesConfig.ready().

The defaults fit a 1440 px screen; on a phone each row is a card with the
name, customer, stage, amount, expected close and owner.
"""

from django.utils.translation import gettext_lazy as _

from crm.lists import Column, ListSpec

from . import access

OPPORTUNITY_LIST = ListSpec(
    key="opportunities",
    url_name="opportunities:opportunity_list",
    label=_("Opportunities"),
    custom_field_target="opportunity",
    custom_before="created_at",
    may_open=access.may_use,
    columns=(
        Column("name", _("Opportunity name"), sort="opp_no", locked=True, card=True),
        Column("customer", _("Customer"), card=True),
        Column("stage", _("Sales stage"), sort="stage", card=True),
        Column("amount", _("Expected amount"), sort="amount", card=True),
        Column("probability", _("Win probability"), sort="probability"),
        Column("weighted", _("Weighted amount"), default=False),
        Column(
            "expected_close_date",
            _("Expected close"),
            sort="expected_close_date",
            card=True,
        ),
        Column("owner", _("Owner"), card=True),
        Column("competitor", _("Competitor"), default=False),
        Column(
            "last_activity_at",
            _("Last activity"),
            sort="last_activity_at",
            default=False,
        ),
        Column("created_at", _("Created"), sort="created_at", default=False),
    ),
)
