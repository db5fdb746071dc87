"""The deal's page reads a fixed number of queries whatever the number of
payments, stage changes, follow-ups and history entries (2 or 20 of each):
no query per row.

Counts of a warm request per role; today's count is the budget, so a change
adding a query fails here and is a decision, not an accident."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from opportunities import services
from opportunities.models import OPEN_STAGES, Stage
from tests import querycount
from tests.factories import client_for, make_customer, make_followup, make_opportunity

ROLES = ["admin", "manager", "rep1", "success"]
DETAIL_BUDGET = 14


def grow(users, opp, n: int):
    """n stage moves through the open stages (each a history entry), the win,
    then n payments and n follow-ups on the deal."""
    actor = users["rep1"]
    for i in range(n):
        opp = services.opportunity_move(
            actor=actor,
            opportunity=opp,
            stage=OPEN_STAGES[(i + 1) % len(OPEN_STAGES)],
            expected_version=opp.version,
        )
    opp = services.opportunity_move(
        actor=actor, opportunity=opp, stage=Stage.WON, expected_version=opp.version
    )
    for i in range(n):
        services.payment_add(
            actor=actor,
            opportunity=opp,
            data={
                "amount": Decimal("100"),
                "received_on": timezone.localdate() - datetime.timedelta(days=i),
                "method": "wechat",
                "note": f"第 {i} 笔",
            },
        )
        make_followup(
            users["rep1"] if i % 2 else users["success"],
            opp.customer,
            opportunity=opp,
            occurred_at=timezone.now() - datetime.timedelta(days=i + 1),
        )
    return opp


@pytest.mark.parametrize("role", ROLES)
def test_the_page_does_not_grow_with_its_rows(client, users, role):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    opp = make_opportunity(users["rep1"], customer, amount=Decimal("1000000"))
    opp = grow(users, opp, 2)
    c = client_for(client, users[role])
    few = querycount.count(c, opp.get_absolute_url())
    context = c.get(opp.get_absolute_url()).context
    assert len(context["payments"]) == 2 and len(context["followups"]) == 2
    # A fresh deal grown to 20 of each
    big = make_opportunity(users["rep1"], customer, amount=Decimal("1000000"))
    big = grow(users, big, 20)
    many = querycount.count(c, big.get_absolute_url())
    context = c.get(big.get_absolute_url()).context
    assert len(context["payments"]) == 20 and len(context["followups"]) == 20
    assert len(context["stage_history"]) > 20
    assert many == few, f"{role}: 2 of each {few}, 20 of each {many}"
    assert few <= DETAIL_BUDGET, f"{role}: {few} queries"
    print(f"{role}: {few} queries")
