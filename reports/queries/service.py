"""The service report (DESIGN §7): tickets opened and resolved by kind and by
priority, average resolution hours, the share resolved within SLA and the
average satisfaction.

Everything comes from one grouped query over the tickets the viewer may see,
per (kind, priority): counts and the sums behind the averages, so the kind
rows, the priority rows and the totals are added up from the same twelve
groups and agree exactly (an average of averages would not).

A reopened ticket: reopening clears `resolved_at`, `closed_at` and the
satisfaction (`followups/ticket_services.py`), so the report counts what the
data says now. A ticket reopened and not resolved again is not resolved in
any period (a past period's figure drops when one of its tickets is
reopened); resolved again, it counts in the period of its latest resolution,
its resolution time running from creation to that resolution.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from followups.models import Ticket

from ..expressions import Milliseconds
from ..filters import ReportFilters
from ..tables import Chart, Column, ReportResult, Table, ratio

HOUR = Decimal(3600 * 1_000)  # milliseconds


@dataclass
class Tally:
    """The sums of some (kind, priority) groups."""

    opened: int = 0
    resolved: int = 0
    within_sla: int = 0
    duration: int = 0  # milliseconds
    rated: int = 0
    score: int = 0
    open_now: int = 0

    def add(self, group: dict) -> None:
        self.opened += group["opened"]
        self.resolved += group["resolved"]
        self.within_sla += group["within_sla"]
        self.duration += group["duration"] or 0
        self.rated += group["rated"]
        self.score += group["score"] or 0
        self.open_now += group["open_now"]

    @property
    def avg_hours(self) -> Decimal | None:
        if not self.resolved:
            return None
        return Decimal(self.duration) / HOUR / self.resolved

    @property
    def satisfaction(self) -> Decimal | None:
        if not self.rated:
            return None
        return Decimal(self.score) / self.rated

    def row(self, key: str, label) -> dict:
        return {
            key: label,
            "opened": self.opened,
            "resolved": self.resolved,
            "avg_hours": self.avg_hours,
            "within_sla": ratio(self.within_sla, self.resolved),
            "satisfaction": self.satisfaction,
        }


def groups(user, filters: ReportFilters):
    """Per (kind, priority): the counts and sums of the report's figures."""
    tickets = Ticket.objects.for_user(user, "view").filter(
        filters.customer_q("customer__"), filters.owner_q("assignee")
    )
    opened = filters.in_period("created_at")
    resolved = Q(resolved_at__isnull=False) & filters.in_period("resolved_at")
    rated = Q(closed_at__isnull=False, satisfaction__isnull=False) & (
        filters.in_period("closed_at")
    )
    open_now = Q(status__in=Ticket.OPEN_STATUSES)
    if filters.start or filters.end:
        # Only the rows some figure counts (an empty Q in an OR would match
        # nothing but the other terms, hence only with a bounded period).
        tickets = tickets.filter(opened | resolved | rated | open_now)
    return (
        tickets.order_by()
        .values("kind", "priority")
        .annotate(
            opened=Count("pk", filter=opened),
            resolved=Count("pk", filter=resolved),
            within_sla=Count("pk", filter=resolved & Q(resolved_at__lte=F("due_at"))),
            duration=Sum(Milliseconds("resolved_at", "created_at"), filter=resolved),
            rated=Count("pk", filter=rated),
            score=Sum("satisfaction", filter=rated),
            open_now=Count("pk", filter=open_now),
        )
    )


def columns(key: str, label) -> list[Column]:
    return [
        Column(key, label),
        Column("opened", _("Tickets opened"), "count"),
        Column("resolved", _("Tickets resolved"), "count"),
        Column("avg_hours", _("Avg. resolution hours"), "number"),
        Column("within_sla", _("Resolved within SLA"), "rate"),
        Column("satisfaction", _("Avg. satisfaction"), "number"),
    ]


NOTE = _(
    "Opened: tickets created in the period; resolved: tickets whose resolution "
    "time is in the period (a reopened ticket counts once resolved again, at "
    "its latest resolution). Resolution hours run from creation to "
    "resolution; within SLA means resolved by the due time. Satisfaction "
    "averages the scores (1–5) of tickets closed in the period. The owner "
    "filter selects the tickets' assignee."
)


def build(user, filters: ReportFilters) -> ReportResult:
    by_kind = {kind: Tally() for kind in Ticket.Kind.values}
    by_priority = {priority: Tally() for priority in Ticket.Priority.values}
    total = Tally()
    for group in groups(user, filters):
        by_kind[group["kind"]].add(group)
        by_priority[group["priority"]].add(group)
        total.add(group)
    kinds = Table(
        "kinds",
        _("Tickets by kind"),
        columns("kind", _("Kind")),
        [by_kind[k].row("kind", label) for k, label in Ticket.Kind.choices],
        total=total.row("kind", _("Total")),
        note=NOTE,
    )
    priorities = Table(
        "priorities",
        _("Tickets by priority"),
        columns("priority", _("Priority")),
        [by_priority[p].row("priority", label) for p, label in Ticket.Priority.choices],
        total=total.row("priority", _("Total")),
        note=NOTE,
    )
    return ReportResult(
        tables=[kinds, priorities],
        charts=[
            Chart("kinds_bar", "bar", "kinds", "kind", ("opened", "resolved")),
            Chart("priority_sla", "bar", "priorities", "priority", ("within_sla",)),
        ],
        figures=[
            (_("Tickets opened"), total.opened, "count"),
            (_("Tickets resolved"), total.resolved, "count"),
            (_("Open now"), total.open_now, "count"),
            (_("Avg. resolution hours"), total.avg_hours, "number"),
            (_("Resolved within SLA"), ratio(total.within_sla, total.resolved), "rate"),
            (_("Avg. satisfaction"), total.satisfaction, "number"),
        ],
    )
