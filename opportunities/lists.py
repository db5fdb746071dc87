"""The opportunity list's columns, registered in OpportunitiesConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from crm.lists import Column, ListSpec

OPPORTUNITY_LIST = ListSpec(
    key="opportunities",
    url_name="opportunities:opportunity_list",
    label=_("Opportunities"),
    custom_field_target="opportunity",
    custom_before="created_at",
    columns=(
        Column("name", _("Opportunity name"), sort="opp_no", locked=True, card=True),
        Column("customer", _("Customer"), card=True),
        Column("stage", _("Sales stage"), sort="stage", card=True),
        Column("amount", _("Expected amount"), sort="amount", card=True),
        Column("probability", _("Win probability")),
        Column(
            "expected_close_date",
            _("Expected close"),
            sort="expected_close_date",
            card=True,
        ),
        Column("owner", _("Owner"), card=True),
        Column("competitor", _("Competitor"), default=False),
        Column("created_at", _("Created"), sort="created_at", default=False),
    ),
)
