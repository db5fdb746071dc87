"""The forecast: open deals by expected-close month and owner, in one GROUP BY.

Given deals closing in several months (and some without a date, some won or
lost), a manager sees every owner and a total row; a rep sees only the deals
they own, even those of other owners on customers shared with them; customer
success gets none."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services as customer_services
from opportunities import selectors
from opportunities.models import Opportunity, Stage
from tests.factories import client_for, make_customer, make_opportunity

TODAY = datetime.date(2025, 3, 15)
URL = reverse("opportunities:opportunity_list")


def cells(forecast, row) -> dict:
    """{bucket key: (count, amount, weighted)} of a row's non-empty cells."""
    return {c.bucket.key: (c.count, c.amount, c.weighted) for c in row.cells if c.count}


@pytest.fixture
def deals(users):
    rep1, rep2 = users["rep1"], users["rep2"]
    c1 = make_customer(rep1)
    c2 = make_customer(rep2)
    # rep2 shares their customer with rep1: rep1 sees rep2's deal there.
    customer_services.customer_share(actor=rep2, customer=c2, user=rep1, level="view")

    def deal(owner, customer, amount, close, stage=Stage.LEAD, **extra):
        return make_opportunity(
            owner,
            customer,
            amount=Decimal(amount),
            expected_close_date=close,
            stage=stage,
            **extra,
        )

    return {
        # March: the first and the last day of the month, rep1.
        "mar1": deal(rep1, c1, "100000.00", datetime.date(2025, 3, 1)),
        "mar31": deal(rep1, c1, "0.05", datetime.date(2025, 3, 31)),
        # April, rep1 (proposal: 40 %) and rep2 (negotiation: 60 %).
        "apr": deal(rep1, c1, "50000.00", datetime.date(2025, 4, 30), Stage.PROPOSAL),
        "apr2": deal(
            rep2, c2, "300000.00", datetime.date(2025, 4, 1), Stage.NEGOTIATION
        ),
        # Before this month (overdue) and far ahead (later).
        "jan": deal(rep2, c2, "20000.00", datetime.date(2025, 1, 31)),
        "dec": deal(rep1, c1, "70000.00", datetime.date(2025, 12, 1)),
        # No date.
        "none": deal(rep1, c1, "10000.00", None, Stage.ANALYSIS),
        # Not open: never in the forecast.
        "won": deal(rep1, c1, "999999.00", datetime.date(2025, 3, 10), Stage.WON),
        "lost": deal(rep2, c2, "888888.00", datetime.date(2025, 3, 10), Stage.LOST),
    }


def test_manager_sees_every_owner_by_month_with_a_total(users, deals):
    manager = users["manager"]
    rows = Opportunity.objects.for_user(manager, "view")
    forecast = selectors.forecast(rows, manager, today=TODAY)
    keys = [b.key for b in forecast.buckets]
    assert keys == [
        "earlier",
        "2025-03-01",
        "2025-04-01",
        "2025-05-01",
        "later",
        "none",
        "total",
    ]
    by_owner = {r.name: cells(forecast, r) for r in forecast.rows}
    assert by_owner["rep1"] == {
        "2025-03-01": (2, Decimal("100000.05"), Decimal("10000.01")),
        "2025-04-01": (1, Decimal("50000.00"), Decimal("20000.00")),
        "later": (1, Decimal("70000.00"), Decimal("7000.00")),
        "none": (1, Decimal("10000.00"), Decimal("2000.00")),
        "total": (5, Decimal("230000.05"), Decimal("39000.01")),
    }
    assert by_owner["rep2"] == {
        "earlier": (1, Decimal("20000.00"), Decimal("2000.00")),
        "2025-04-01": (1, Decimal("300000.00"), Decimal("180000.00")),
        "total": (2, Decimal("320000.00"), Decimal("182000.00")),
    }
    assert cells(forecast, forecast.total) == {
        "earlier": (1, Decimal("20000.00"), Decimal("2000.00")),
        "2025-03-01": (2, Decimal("100000.05"), Decimal("10000.01")),
        "2025-04-01": (2, Decimal("350000.00"), Decimal("200000.00")),
        "later": (1, Decimal("70000.00"), Decimal("7000.00")),
        "none": (1, Decimal("10000.00"), Decimal("2000.00")),
        "total": (7, Decimal("550000.05"), Decimal("221000.01")),
    }
    # The owner with the most in the pipeline first.
    assert [r.name for r in forecast.rows] == ["rep2", "rep1"]


def test_a_rep_sees_only_their_own_deals_even_on_shared_customers(users, deals):
    rep1 = users["rep1"]
    rows = Opportunity.objects.for_user(rep1, "view")
    assert rows.filter(pk=deals["apr2"].pk).exists()  # visible in the list
    forecast = selectors.forecast(rows, rep1, today=TODAY)
    assert forecast.scope == "own"
    assert [r.name for r in forecast.rows] == ["rep1"]
    assert cells(forecast, forecast.total)["total"][0] == 5
    rep2_forecast = selectors.forecast(
        Opportunity.objects.for_user(users["rep2"], "view"), users["rep2"], today=TODAY
    )
    assert [r.name for r in rep2_forecast.rows] == ["rep2"]


def test_customer_success_and_service_have_no_forecast(users, deals):
    for role in ("success", "service"):
        rows = Opportunity.objects.for_user(users[role], "view")
        assert selectors.forecast(rows, users[role], today=TODAY) is None


def test_the_forecast_is_one_query(users, deals):
    rows = Opportunity.objects.for_user(users["manager"], "view")
    with CaptureQueriesContext(connection) as ctx:
        selectors.forecast(rows, users["manager"], today=TODAY)
    assert len(ctx.captured_queries) == 1
    assert "GROUP BY" in ctx.captured_queries[0]["sql"]


def test_months_window_collects_later_months(users, deals):
    rows = Opportunity.objects.for_user(users["manager"], "view")
    forecast = selectors.forecast(rows, users["manager"], months=12, today=TODAY)
    keys = [b.key for b in forecast.buckets]
    assert "2025-12-01" in keys and "later" not in keys


def test_empty_forecast(users):
    forecast = selectors.forecast(
        Opportunity.objects.for_user(users["rep1"], "view"), users["rep1"]
    )
    assert forecast.empty and forecast.rows == []


def forecast_html(client, user, **params) -> str:
    html = client_for(client, user).get(URL, params).content.decode()
    match = re.search(r'<section class="opp-forecast".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_list_shows_the_forecast_of_the_filtered_rows(client, users, deals):
    manager = users["manager"]
    html = forecast_html(client, manager)
    assert "rep1" in html and "rep2" in html and "forecast-sum" in html
    # Filtered to rep2's customer, only rep2's row is left.
    html = forecast_html(client, manager, customer=deals["apr2"].customer.customer_no)
    assert "rep2" in html and ">rep1<" not in html
    assert "¥182,000.00" in html  # both in the past: one "overdue" cell


def test_the_list_shows_a_rep_their_own_forecast_only(client, users, deals):
    html = forecast_html(client, users["rep1"])
    assert "rep1" in html and ">rep2<" not in html
    assert "¥300,000.00" not in html


def test_no_forecast_on_the_list_for_customer_success(client, users, deals):
    assert forecast_html(client, users["success"]) == ""
