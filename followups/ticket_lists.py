"""The ticket queue's columns, registered in FollowupsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from crm.lists import Column, ListSpec

TICKET_LIST = ListSpec(
    key="tickets",
    url_name="tickets:ticket_list",
    label=_("Tickets"),
    custom_field_target="ticket",
    custom_before="created_at",
    columns=(
        Column("subject", _("Subject"), sort="ticket_no", locked=True, card=True),
        Column("customer", _("Customer"), card=True),
        Column("kind", _("Kind")),
        Column("priority", _("Priority"), sort="priority", card=True),
        Column("status", _("Ticket status"), sort="status", card=True),
        Column("assignee", _("Assignee"), card=True),
        Column("contact", _("Contact"), default=False),
        Column("due_at", _("Due"), sort="due_at", card=True),
        Column("created_at", _("Opened"), sort="created_at"),
        Column("updated_at", _("Last updated"), default=False),
    ),
)
