"""The kinds of notification and their messages.

A notification stores its kind and the values its message needs (`params`);
the message is rendered when it is read, in the reader's language. Messages are
plain text: templates escape them like any other value.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


@dataclass(frozen=True)
class Kind:
    name: str
    # %-format string with named placeholders from the params (plus "actor").
    message: str
    # Used instead when params["count"] > 1 (one notification for many records).
    many: object | None = None


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


TICKET_ASSIGNED = register(
    Kind("ticket_assigned", _("%(actor)s assigned ticket %(ticket_no)s to you"))
)
TICKET_COMMENTED = register(
    Kind("ticket_commented", _("%(actor)s commented on ticket %(ticket_no)s"))
)
CUSTOMER_SHARED = register(
    Kind("customer_shared", _("%(actor)s shared customer %(customer)s with you"))
)
CUSTOMER_REASSIGNED = register(
    Kind(
        "customer_reassigned",
        _("%(actor)s transferred customer %(customer)s to you"),
        many=ngettext_lazy(
            "%(actor)s transferred %(count)s customer to you",
            "%(actor)s transferred %(count)s customers to you",
            "count",
        ),
    )
)
FOLLOWUP_OVERDUE = register(
    Kind(
        "followup_overdue",
        _("Follow-up plan for %(customer)s is overdue: %(goal)s"),
    )
)
