"""Team performance (DESIGN §7) on a small hand-built dataset for October 2026
(Asia/Shanghai), with the rows on both sides of the period's midnights."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups import services as followup_services
from opportunities import services as opportunity_services
from opportunities.models import Stage
from reports import services as target_services
from reports.filters import ReportFilters
from reports.queries import team
from reports.services import TargetValue
from reports.tables import percent
from tests.factories import (
    client_for,
    make_customer,
    make_followup,
    make_opportunity,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = ReportFilters(
    start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31), period="custom"
)


def at(month, day, hour=10, minute=0):
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def won_deal(owner, customer, amount, when, *, payments=()):
    """A deal won at `when` through the services, with its payments."""
    deal = make_opportunity(owner, customer, amount=Decimal(amount))
    deal = opportunity_services.opportunity_move(
        actor=owner,
        opportunity=deal,
        stage=Stage.WON,
        expected_version=deal.version,
        at=when,
    )
    for paid, day in payments:
        opportunity_services.payment_add(
            actor=owner,
            opportunity=deal,
            data={"amount": Decimal(paid), "received_on": day},
        )
    return deal


def set_targets(manager, month, values):
    token = target_services.targets_token(target_services.month_targets(month).values())
    target_services.targets_save(
        month=month, values=values, actor=manager, expected=token
    )


@pytest.fixture
def october(users):
    """rep1: 2 new customers, 3 follow-ups on 2 customers, 2 wins worth
    300,000 of which 80,000 collected by 10-31; rep2: 1 new customer, 1
    follow-up, 1 win of 80,000 with nothing collected; the manager: 1
    follow-up on rep1's customer. Each boundary has a row just outside."""
    rep1, rep2, manager = users["rep1"], users["rep2"], users["manager"]
    c1 = make_customer(rep1, created_at=at(10, 5))
    make_customer(rep1, created_at=at(10, 31, 23, 30))
    late = make_customer(rep1, created_at=at(11, 1, 0, 10))
    early = make_customer(rep1, created_at=at(9, 30, 23, 30))
    d1 = make_customer(rep2, created_at=at(10, 10))

    make_followup(rep1, c1, occurred_at=at(10, 6))
    make_followup(rep1, c1, occurred_at=at(10, 31, 23, 30))
    make_followup(rep1, early, occurred_at=at(10, 20))
    make_followup(rep1, c1, occurred_at=at(11, 1, 0, 10))
    make_followup(rep1, late, occurred_at=at(9, 30, 23, 30))
    make_followup(rep2, d1, occurred_at=at(10, 15))
    make_followup(manager, c1, occurred_at=at(10, 12))
    trashed = make_followup(rep1, c1, occurred_at=at(10, 7))
    followup_services.followup_delete(actor=manager, followup=trashed)

    won_deal(
        rep1,
        c1,
        "100000",
        at(10, 31, 23, 30),
        payments=[("30000", datetime.date(2026, 10, 31))],
    )
    # The second payment came after the period: not collected by its end.
    deal = won_deal(rep1, c1, "200000", at(10, 8))
    for paid, day in (("50000", datetime.date(2026, 10, 9)), ("20000", None)):
        opportunity_services.payment_add(
            actor=rep1,
            opportunity=deal,
            data={"amount": Decimal(paid), "received_on": day or at(11, 2).date()},
        )
    won_deal(rep1, early, "50000", at(11, 1, 0, 10))
    won_deal(rep1, early, "70000", at(9, 30, 23, 30))
    make_opportunity(rep1, c1, stage=Stage.LOST, amount=Decimal("999"))
    make_opportunity(rep1, c1, amount=Decimal("888"))
    won_deal(rep2, d1, "80000", at(10, 15))

    set_targets(
        manager,
        datetime.date(2026, 10, 1),
        {
            rep1.pk: TargetValue(Decimal("250000"), 4),
            rep2.pk: TargetValue(Decimal("100000")),
        },
    )
    set_targets(
        manager,
        datetime.date(2026, 9, 1),
        {rep1.pk: TargetValue(Decimal("100000"), 1)},
    )
    set_targets(
        manager,
        datetime.date(2026, 11, 1),
        {rep1.pk: TargetValue(Decimal("400000"), 2)},
    )
    return users


def by_user(result):
    return {row["user"]: row for row in result.table("users").rows}


def test_rep_rows_hold_exactly_the_definitions(october):
    # Given October's data, when a manager opens October's team performance
    result = team.build(october["manager"], OCTOBER)
    rows = by_user(result)

    # then rep1 has what happened inside October (Shanghai time) only
    rep1 = rows["rep1"]
    assert rep1["customers_followed"] == 2
    assert rep1["followups"] == 3
    assert rep1["new_customers"] == 2
    assert rep1["wins"] == 2
    assert rep1["won_amount"] == Decimal("300000.00")
    assert percent(rep1["collection_rate"]) == Decimal("26.7")  # 80,000 / 300,000
    assert rep1["target"] == Decimal("250000.00")
    assert percent(rep1["completion"]) == Decimal("120.0")
    assert rep1["new_customers_target"] == 4
    assert percent(rep1["new_customers_completion"]) == Decimal("50.0")

    rep2 = rows["rep2"]
    assert (rep2["customers_followed"], rep2["followups"], rep2["new_customers"]) == (
        1,
        1,
        1,
    )
    assert (rep2["wins"], rep2["won_amount"]) == (1, Decimal("80000.00"))
    assert rep2["collection_rate"] == Decimal(0)
    assert percent(rep2["completion"]) == Decimal("80.0")
    assert rep2["new_customers_target"] is None
    assert rep2["new_customers_completion"] is None

    # the manager's follow-up counts for the manager, not for the owner
    assert (rows["manager"]["followups"], rows["manager"]["customers_followed"]) == (
        1,
        1,
    )
    assert rows["manager"]["wins"] == 0


def test_rows_list_every_sales_user_ordered_by_won_amount(october):
    result = team.build(october["manager"], OCTOBER)
    names = [row["user"] for row in result.table("users").rows]

    # admins, managers and reps take on deals; customer service and success
    # neither do nor have figures
    assert names == ["rep1", "rep2", "admin", "manager"]
    admin = by_user(result)["admin"]
    assert (admin["followups"], admin["won_amount"], admin["target"]) == (
        0,
        Decimal("0.00"),
        None,
    )
    assert admin["collection_rate"] is None
    assert admin["completion"] is None


def test_total_row_sums_and_rates_from_the_sums(october):
    result = team.build(october["manager"], OCTOBER)
    total = result.table("users").total

    assert total["followups"] == 5
    assert total["customers_followed"] == 4  # per user, then summed
    assert total["new_customers"] == 3
    assert total["wins"] == 3
    assert total["won_amount"] == Decimal("380000.00")
    assert percent(total["collection_rate"]) == Decimal("21.1")  # 80,000 / 380,000
    assert total["target"] == Decimal("350000.00")
    assert percent(total["completion"]) == Decimal("108.6")  # 380,000 / 350,000
    assert total["new_customers_target"] == 4
    assert percent(total["new_customers_completion"]) == Decimal("75.0")
    # follow-ups, new customers, wins, won amount, collection, completion
    values = [value for _label, value, _kind in result.figures]
    assert values[:4] == [5, 3, 3, Decimal("380000.00")]
    assert [percent(v) for v in values[4:]] == [Decimal("21.1"), Decimal("108.6")]


def test_rep_sees_only_their_own_row_and_figures(october):
    # Given rep1 may see the manager's follow-up on rep1's customer
    result = team.build(october["rep1"], OCTOBER)

    # then the report holds rep1's row alone, and the totals are rep1's
    rows = result.table("users").rows
    assert [row["user"] for row in rows] == ["rep1"]
    assert rows[0]["followups"] == 3
    assert rows[0]["won_amount"] == Decimal("300000.00")
    assert result.table("users").total["followups"] == 3
    october_trend = result.table("trend").rows[-1]
    assert october_trend == {
        "month": "2026-10",
        "won_amount": Decimal("300000.00"),
        "wins": 2,
        "followups": 3,
        "new_customers": 2,
    }


def test_rep2_figures_exclude_rep1_records(october):
    result = team.build(october["rep2"], OCTOBER)

    rows = result.table("users").rows
    assert [row["user"] for row in rows] == ["rep2"]
    assert rows[0]["won_amount"] == Decimal("80000.00")
    assert result.table("trend").rows[-1]["new_customers"] == 1
    assert sum(r["won_amount"] for r in result.table("trend").rows) == Decimal(
        "80000.00"
    )


def test_owner_filter_gives_that_users_row(october):
    filters = ReportFilters(
        start=OCTOBER.start, end=OCTOBER.end, period="custom", owner=october["rep2"]
    )
    result = team.build(october["manager"], filters)

    assert [row["user"] for row in result.table("users").rows] == ["rep2"]
    assert result.table("users").total["won_amount"] == Decimal("80000.00")


def test_period_edges_at_shanghai_midnight(october):
    # Given November alone: what happened at 00:10 on 11-01 counts, and the
    # payment of 11-02 is collected by the end of November.
    november = ReportFilters(
        start=datetime.date(2026, 11, 1),
        end=datetime.date(2026, 11, 30),
        period="custom",
    )
    rep1 = by_user(team.build(october["manager"], november))["rep1"]

    assert (rep1["followups"], rep1["new_customers"], rep1["wins"]) == (1, 1, 1)
    assert rep1["won_amount"] == Decimal("50000.00")
    assert rep1["collection_rate"] == Decimal(0)
    assert rep1["target"] == Decimal("400000.00")


def test_collection_counts_every_payment_when_the_period_has_no_end(october):
    since = ReportFilters(start=datetime.date(2026, 10, 1), period="custom")
    rep1 = by_user(team.build(october["manager"], since))["rep1"]

    # 300,000 + 50,000 won from October on; 30,000 + 50,000 + 20,000 paid
    assert rep1["won_amount"] == Decimal("350000.00")
    assert percent(rep1["collection_rate"]) == Decimal("28.6")
    # October's and November's targets; September's is before the start
    assert rep1["target"] == Decimal("650000.00")
    assert rep1["new_customers_target"] == 6


def test_a_period_starting_mid_month_takes_that_months_target(october):
    filters = ReportFilters(
        start=datetime.date(2026, 9, 15), end=datetime.date(2026, 10, 10)
    )
    rep1 = by_user(team.build(october["manager"], filters))["rep1"]

    assert rep1["target"] == Decimal("350000.00")  # September + October
    assert rep1["new_customers_target"] == 5


def test_all_time_counts_everything(october):
    rep1 = by_user(team.build(october["manager"], ReportFilters()))["rep1"]

    assert rep1["followups"] == 5
    assert rep1["new_customers"] == 4
    assert rep1["wins"] == 4
    assert rep1["won_amount"] == Decimal("420000.00")
    assert rep1["target"] == Decimal("750000.00")


def test_trend_has_twelve_months_ending_with_the_period(october):
    trend = team.build(october["manager"], OCTOBER).table("trend").rows

    assert [row["month"] for row in trend][:2] == ["2025-11", "2025-12"]
    assert trend[-1]["month"] == "2026-10"
    assert len(trend) == 12
    assert trend[-1] == {
        "month": "2026-10",
        "won_amount": Decimal("380000.00"),
        "wins": 3,
        "followups": 5,
        "new_customers": 3,
    }
    assert trend[-2] == {
        "month": "2026-09",
        "won_amount": Decimal("70000.00"),
        "wins": 1,
        "followups": 1,
        "new_customers": 1,
    }
    assert trend[0] == {
        "month": "2025-11",
        "won_amount": Decimal("0.00"),
        "wins": 0,
        "followups": 0,
        "new_customers": 0,
    }


def test_charts_are_drawn_from_the_tables(october):
    result = team.build(october["manager"], OCTOBER)
    charts = {c["key"]: c for c in result.chart_data()}

    assert charts["leaderboard"]["categories"][:2] == ["rep1", "rep2"]
    assert charts["leaderboard"]["series"][0]["values"][:2] == [300000.0, 80000.0]
    assert charts["trend"]["categories"][-1] == "2026-10"
    assert [s["values"][-1] for s in charts["trend_followups"]["series"]] == [5, 3]


def test_full_name_is_shown_when_set(october):
    rep1 = october["rep1"]
    rep1.last_name, rep1.first_name = "王", "芳"
    rep1.save()

    rows = by_user(team.build(october["manager"], OCTOBER))
    assert "王芳" in rows or "芳 王" in rows


def test_month_progress_is_the_users_own_month(october):
    progress = team.month_progress(october["rep1"], datetime.date(2026, 10, 1))

    assert progress == {
        "month": datetime.date(2026, 10, 1),
        "has_target": True,
        "target": Decimal("250000.00"),
        "wins": 2,
        "won_amount": Decimal("300000.00"),
        "completion": Decimal("300000.00") / Decimal("250000.00"),
        "new_customers": 2,
        "new_customers_target": 4,
        "new_customers_completion": Decimal(2) / Decimal(4),
    }
    nothing = team.month_progress(october["rep2"], datetime.date(2026, 9, 1))
    assert nothing["has_target"] is False
    assert nothing["completion"] is None
    assert nothing["won_amount"] == Decimal("0.00")


def test_month_progress_costs_three_queries(october, django_assert_num_queries):
    rep1 = october["rep1"]
    # What a request reads once (the role's permissions, shares) is read now.
    team.month_progress(rep1, datetime.date(2026, 10, 1))

    with django_assert_num_queries(3):
        team.month_progress(rep1, datetime.date(2026, 10, 1))


def _queries(user):
    fresh = type(user).objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as captured:
        team.build(fresh, OCTOBER)
    return len(captured)


@pytest.mark.parametrize("viewer", ["manager", "rep1"])
def test_query_count_does_not_grow_with_the_data(
    october, viewer, django_assert_max_num_queries
):
    user = october[viewer]
    before = _queries(user)

    # Given many more customers, follow-ups, wins, payments and targets
    rep1, rep2 = october["rep1"], october["rep2"]
    for owner in (rep1, rep2) * 3:
        customer = make_customer(owner, created_at=at(10, 3))
        make_followup(owner, customer, occurred_at=at(10, 4))
        make_followup(owner, customer, occurred_at=at(6, 4))
        won_deal(
            owner,
            customer,
            "1000",
            at(10, 5),
            payments=[("10", datetime.date(2026, 10, 6))],
        )
        won_deal(owner, customer, "1000", at(3, 5))
    set_targets(
        october["manager"],
        datetime.date(2026, 10, 1),
        {october["manager"].pk: TargetValue(Decimal("1"))},
    )

    fresh = type(user).objects.get(pk=user.pk)
    with django_assert_max_num_queries(before):
        team.build(fresh, OCTOBER)


OCTOBER_QUERY = "?period=custom&start=2026-10-01&end=2026-10-31"


def test_the_page_and_its_json_hold_the_viewers_rows(client, october):
    url = reverse("reports:team") + OCTOBER_QUERY

    # A rep's download holds the rep's own row; a manager's every sales user's
    mine = client_for(client, october["rep1"]).get(url + "&format=json").json()
    assert [r["user"] for r in mine["tables"]["users"]["rows"]] == ["rep1"]
    assert mine["tables"]["users"]["rows"][0]["won_amount"] == "300000.00"
    assert mine["tables"]["users"]["rows"][0]["collection_rate"] == 26.7

    client.logout()
    manager = client_for(client, october["manager"])
    everyone = manager.get(url + "&format=json&sort=followups").json()
    rows = everyone["tables"]["users"]["rows"]
    assert [r["user"] for r in rows] == ["admin", "rep2", "manager", "rep1"]
    assert everyone["tables"]["users"]["total"]["completion"] == 108.6

    page = manager.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "¥380,000.00" in html and "108.6%" in html
