"""The follow-up list, the agenda and the customer page read a fixed number of
queries whatever the number of follow-ups (5 or 50): no query per row.

Counts of a warm request per role (the first request also reads choices
cached per process). Today's counts are the budgets: a change adding a query
fails here and is a decision, not an accident."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import client_for, make_customer, make_followup

ROLES = ["admin", "manager", "rep1", "service", "success"]
LIST_BUDGET = 13
AGENDA_BUDGET = 8


def queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def grow(users, customer, n: int) -> None:
    """n follow-ups on `customer` by rep1 and the success manager, half with
    open plans (overdue, today, this week) for each of them."""
    now = timezone.now()
    for i in range(n):
        author = users["rep1"] if i % 2 else users["success"]
        plan = {}
        if i % 2 == 0 or i % 3 == 0:
            plan = {
                "next_at": now + datetime.timedelta(hours=(i % 9) * 12 - 30),
                "next_owner": author,
                "next_goal": f"计划 {i}",
            }
        make_followup(
            author,
            customer,
            occurred_at=now - datetime.timedelta(days=i + 1),
            **plan,
        )


@pytest.fixture
def customer(users):
    return make_customer(users["rep1"], success_manager=users["success"])


def counts(client, users, customer, role) -> tuple[dict, dict]:
    c = client_for(client, users[role])
    urls = {
        "list": reverse("followups:followup_list"),
        "agenda": reverse("followups:agenda"),
        "customer": customer.get_absolute_url(),
        "workbench": reverse("crm:workbench"),
    }
    return {name: queries(c, url) for name, url in urls.items()}


@pytest.mark.parametrize("role", ROLES)
def test_pages_do_not_grow_with_follow_ups(client, users, customer, role):
    grow(users, customer, 5)
    few = counts(client, users, customer, role)
    grow(users, customer, 45)
    many = counts(client, users, customer, role)
    assert many == few, f"{role}: 5 follow-ups {few}, 50 follow-ups {many}"
    assert few["list"] <= LIST_BUDGET
    assert few["agenda"] <= AGENDA_BUDGET
