"""The ticket module's workbench panel and its card on a customer's page.

Both read a bounded number of queries whatever the number of tickets: the rows
come with their customer and assignee, counts stop at the list's cap.
"""

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone

from crm import permissions
from customers.selectors import capped_count

from .models import Ticket

SECTION_ROWS = 10
QUEUE_ROWS = 8


def my_open_tickets(user):
    """Open tickets assigned to `user`, from the assignee column alone."""
    return Ticket.objects.alive().open().filter(assignee=user)


def open_assigned_count(user) -> int:
    """The navigation's badge: my open tickets."""
    if not user.is_authenticated:
        return 0
    return capped_count(my_open_tickets(user), settings.CRM_LIST_COUNT_CAP)


def queue(request) -> dict | None:
    """My queue, plus the team's unassigned and overdue counts for those who
    work every ticket (customer service, admins). Someone pulled in from
    another department gets the panel while tickets are assigned to them.
    One query for the rows, one for the counts."""
    user = request.user
    works_all = permissions.has_model_perm(user, Ticket, "change")
    now = timezone.now()
    rows = list(
        my_open_tickets(user).with_list_data().order_by("due_at", "id")[:QUEUE_ROWS]
    )
    if not works_all and not rows:
        return None
    for ticket in rows:
        ticket.overdue = ticket.due_at < now
    data = {"rows": rows, "works_all": works_all, "mine_count": len(rows)}
    if works_all:
        # Open tickets only: the (status, due_at) index bounds what is counted.
        data.update(
            Ticket.objects.for_user(user, "view")
            .open()
            .aggregate(
                mine_count=Count("pk", filter=Q(assignee=user)),
                unassigned_count=Count("pk", filter=Q(assignee__isnull=True)),
                overdue_count=Count("pk", filter=Q(due_at__lt=now)),
            )
        )
    elif len(rows) == QUEUE_ROWS:
        data["mine_count"] = my_open_tickets(user).count()
    return data


def customer_tickets(request, customer) -> dict:
    """The "服务工单" card: open tickets first (most urgent first), then the
    most recent others."""
    user = request.user
    tickets = Ticket.objects.for_user(user, "view").filter(customer=customer)
    is_open = Case(
        When(status__in=Ticket.OPEN_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    open_due = Case(When(status__in=Ticket.OPEN_STATUSES, then=F("due_at")))
    rows = list(
        tickets.select_related("assignee")
        .annotate(closed_rank=is_open, open_due=open_due)
        .order_by(
            "closed_rank", F("open_due").asc(nulls_last=True), "-created_at", "-id"
        )[: SECTION_ROWS + 1]
    )
    now = timezone.now()
    for ticket in rows:
        ticket.overdue = ticket.is_open and ticket.due_at < now
    return {
        "customer": customer,
        "rows": rows[:SECTION_ROWS],
        "more": len(rows) > SECTION_ROWS,
        "can_add": permissions.has_model_perm(user, Ticket, "add"),
    }
