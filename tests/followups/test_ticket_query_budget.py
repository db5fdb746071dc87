"""The ticket pages read a fixed number of queries, whatever the rows.

Each page is counted with 5 and with 50 tickets (or comments and status
changes on one ticket): the counts must be equal, and within the budget.
Counts are of a warm request (the first one fills per-process caches).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followups import ticket_services as services
from followups.models import Ticket, TicketComment
from tests import factories
from tests.factories import client_for

QUEUE_BUDGET = 16
DETAIL_BUDGET = 14
# The customer page with its cards (follow-ups, opportunities, tickets).
CUSTOMER_BUDGET = 17


def queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def add_tickets(users, customer, n: int) -> None:
    """`n` tickets on `customer`, varied: assigned, unassigned, overdue."""
    now = timezone.now()
    for i in range(n):
        factories.make_ticket(
            users["service"],
            customer,
            contact=customer.contacts.first(),
            assignee=users["service"] if i % 2 else users["rep2"],
            priority="urgent" if i % 3 else "low",
            created_at=now - timedelta(hours=i),
        )


@pytest.mark.parametrize("role", ["service", "rep1"])
@pytest.mark.parametrize("tab", ["mine", "unassigned", "overdue", "all"])
def test_queue_is_flat(client, users, rep1_customer, role, tab):
    client_for(client, users[role])
    url = f"/tickets/?tab={tab}&per_page=100"
    add_tickets(users, rep1_customer, 5)
    few = queries(client, url)
    add_tickets(users, rep1_customer, 45)
    many = queries(client, url)
    print(f"queue {tab} as {role}: {few} queries with 5 tickets, {many} with 50")
    assert few == many <= QUEUE_BUDGET


def grow_ticket(users, ticket: Ticket, n: int) -> Ticket:
    """`n` comments by several people and a status change between each."""
    authors = [users["service"], users["admin"]]
    for i in range(n):
        services.ticket_comment(actor=authors[i % 2], ticket=ticket, body=f"第{i}条")
        action = "wait" if ticket.status == "in_progress" else "resume"
        if ticket.status == "new":
            action = "start"
        ticket = services.ticket_transition(
            actor=users["service"],
            ticket=ticket,
            action=action,
            expected_version=ticket.version,
        )
    return ticket


@pytest.mark.parametrize("role", ["service", "rep1"])
def test_detail_is_flat(client, users, rep1_customer, role):
    ticket = factories.make_ticket(
        users["service"],
        rep1_customer,
        contact=rep1_customer.contacts.first(),
        assignee=users["service"],
    )
    client_for(client, users[role])
    ticket = grow_ticket(users, ticket, 5)
    few = queries(client, ticket.get_absolute_url())
    grow_ticket(users, ticket, 45)
    assert TicketComment.objects.count() == 50
    many = queries(client, ticket.get_absolute_url())
    print(f"ticket detail as {role}: {few} queries with 5 comments, {many} with 50")
    assert few == many <= DETAIL_BUDGET


@pytest.mark.parametrize("role", ["service", "rep1", "success"])
def test_customer_page_ticket_card_is_flat(client, users, make_customer, role):
    customer = make_customer(
        users["rep1"], contacts=[factories.contact()], success_manager=users["success"]
    )
    client_for(client, users[role])
    add_tickets(users, customer, 5)
    few = queries(client, customer.get_absolute_url())
    add_tickets(users, customer, 45)
    many = queries(client, customer.get_absolute_url())
    print(f"customer page as {role}: {few} queries with 5 tickets, {many} with 50")
    assert few == many <= CUSTOMER_BUDGET


def test_workbench_panel_is_flat(client, users, rep1_customer):
    client_for(client, users["service"])
    add_tickets(users, rep1_customer, 5)
    few = queries(client, "/")
    add_tickets(users, rep1_customer, 45)
    many = queries(client, "/")
    print(f"workbench as service: {few} queries with 5 tickets, {many} with 50")
    assert few == many
