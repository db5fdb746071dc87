"""The opportunity list, the workbench and the customer page read a fixed
number of queries whatever the number of deals (5 or 30): no query per row;
the totals are one aggregate, the forecast one GROUP BY.

Counts of a warm request per role (the first request also reads choices
cached per process). Today's counts are the budgets: a change adding a
query fails here and is a decision, not an accident."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity, Stage
from tests import querycount
from tests.factories import client_for, make_customer, make_opportunity

ROLES = ["admin", "manager", "rep1", "success"]
LIST_BUDGET = 13
# The workbench's other panels included; ours add at most three queries (my
# deals, their totals, the forecast); the reports' dashboard adds four for
# admins and managers, the target panel one for those who take on deals.
WORKBENCH_BUDGET = {"admin": 23, "manager": 23, "rep1": 15, "success": 11}


def grow(users, customers, n: int) -> None:
    """n deals across stages, owners and months; every third one stalled."""
    today = timezone.localdate()
    stages = [Stage.LEAD, Stage.PROPOSAL, Stage.NEGOTIATION, Stage.WON, Stage.LOST]
    for i in range(n):
        owner = users["rep1"] if i % 2 else users["manager"]
        deal = make_opportunity(
            owner,
            customers[i % len(customers)],
            amount=Decimal(1000 + i),
            expected_close_date=today + datetime.timedelta(days=(i % 7) * 20)
            if i % 5
            else None,
            competitor="友商" if i % 3 else "",
            stage=stages[i % len(stages)],
        )
        if i % 3 == 0:
            Opportunity.objects.filter(pk=deal.pk).update(
                last_activity_at=timezone.now() - datetime.timedelta(days=40)
            )


@pytest.fixture
def customers(users):
    return [
        make_customer(users["rep1"], success_manager=users["success"]),
        make_customer(users["rep1"]),
    ]


def counts(client, users, customers, role) -> dict:
    c = client_for(client, users[role])
    urls = {
        "list": reverse("opportunities:opportunity_list"),
        "list filtered": reverse("opportunities:opportunity_list")
        + "?stage=open&amount_min=1000&competitor=友商&ordering=stage",
        "workbench": reverse("crm:workbench"),
        "customer": customers[0].get_absolute_url(),
    }
    return {name: querycount.count(c, url) for name, url in urls.items()}


@pytest.mark.parametrize("role", ROLES)
def test_pages_do_not_grow_with_deals(client, users, customers, role):
    grow(users, customers, 5)
    few = counts(client, users, customers, role)
    grow(users, customers, 25)
    many = counts(client, users, customers, role)
    assert many == few, f"{role}: 5 deals {few}, 30 deals {many}"
    assert few["list"] <= LIST_BUDGET, few
    assert few["list filtered"] <= LIST_BUDGET, few
    assert few["workbench"] <= WORKBENCH_BUDGET[role], few
