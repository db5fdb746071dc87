"""The customer list's columns, registered in CustomersConfig.ready().

The default set fits a 1440 px screen without sideways scrolling; the rest
(custom fields marked "shown in list", success manager, renewal and
creation dates) are a click away in the list's column chooser.
"""

from django.utils.translation import gettext_lazy as _

from crm.lists import Column, ListSpec

CUSTOMER_LIST = ListSpec(
    key="customers",
    url_name="customers:customer_list",
    label=_("Customers"),
    custom_field_target="customer",
    custom_before="updated_at",
    columns=(
        Column("name", _("Customer"), sort="name", locked=True, card=True),
        Column("industry", _("Industry")),
        Column("region", _("Province")),
        Column("level", _("Level"), sort="level", card=True),
        Column("status", _("Status"), sort="status", card=True),
        Column("contact", _("Primary contact"), card=True),
        Column("tags", _("Tags")),
        Column("owner", _("Owner"), card=True),
        Column("success_manager", _("Success manager"), default=False),
        Column(
            "historical_amount",
            _("Historical amount"),
            sort="historical_amount",
            card=True,
        ),
        Column("renewal_date", _("Renewal date"), sort="renewal_date", default=False),
        Column(
            "last_followup_at",
            _("Last follow-up"),
            sort="last_followup_at",
            default=False,
        ),
        Column("created_at", _("Created at"), sort="created_at", default=False),
        Column("updated_at", _("Last updated"), sort="updated_at"),
    ),
)
