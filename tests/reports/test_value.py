"""Customer value: average order value (客单价), repurchase rate (复购率), wins
by month and the top 10 customers by historical amount (DESIGN §7).

Given deals won through the stage service at known instants around the
edges of November 2026 in Shanghai time, by rep1 and rep2, a viewer sees the
exact figures a user would read, only from the deals they may see; the top
10 is the all-time historical amount, ties by customer ID."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from customers import services as customer_services
from customers.models import Industry
from opportunities import services as opportunity_services
from opportunities.models import Stage
from reports.filters import ReportFilters
from reports.queries import value
from tests.factories import make_customer, make_opportunity

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
NOVEMBER = ReportFilters(
    start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30), period="custom"
)
ALL_TIME = ReportFilters()


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def win(owner, customer, amount, when):
    """A deal created, then won through the stage service at `when`."""
    deal = make_opportunity(owner, customer, amount=Decimal(amount))
    return opportunity_services.opportunity_move(
        actor=owner,
        opportunity=deal,
        stage=Stage.WON,
        expected_version=deal.version,
        at=when,
    )


def figures(result) -> dict:
    return {str(label): (v, kind) for label, v, kind in result.figures}


def values(result) -> tuple:
    return tuple(v for _label, v, _kind in result.figures)


@pytest.fixture
def deals(users):
    rep1, rep2 = users["rep1"], users["rep2"]
    a = make_customer(rep1, name="甲公司")
    b = make_customer(rep1, name="乙公司")
    c = make_customer(rep1, name="丙公司")
    d = make_customer(rep2, name="丁公司", industry=Industry.objects.get(code="70"))
    return {
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        # a: two wins in November, on its first and last minutes.
        "a1": win(rep1, a, "100000.00", at(2026, 11, 1, 0, 10)),
        "a2": win(rep1, a, "50000.00", at(2026, 11, 30, 23, 30)),
        # b: one win in November, one just after it.
        "b1": win(rep1, b, "30000.00", at(2026, 11, 15, 10, 0)),
        "b2": win(rep1, b, "70000.00", at(2026, 12, 1, 0, 10)),
        # c: one win just before November; an open and a lost deal.
        "c1": win(rep1, c, "40000.00", at(2026, 10, 31, 23, 30)),
        "c_open": make_opportunity(rep1, c, amount=Decimal("900000.00")),
        "c_lost": make_opportunity(
            rep1, c, amount=Decimal("800000.00"), stage=Stage.LOST
        ),
        # d (rep2's): two wins in November.
        "d1": win(rep2, d, "200000.00", at(2026, 11, 10, 9, 0)),
        "d2": win(rep2, d, "1000.00", at(2026, 11, 20, 9, 0)),
    }


def test_a_rep_sees_aov_and_repurchase_of_their_wins_in_the_period(users, deals):
    result = value.build(users["rep1"], NOVEMBER)

    # a: 2 wins (150,000), b: 1 win (30,000); b's December win, c's October
    # win, the open and the lost deal and rep2's wins are not counted.
    assert figures(result) == {
        "成交金额": (Decimal("180000.00"), "amount"),
        "成交客户数": (2, "count"),
        "客单价": (Decimal("90000.00"), "amount"),
        "成交2次及以上的客户数": (1, "count"),
        "复购率": (Decimal("0.5"), "rate"),
    }
    assert [tuple(r.values()) for r in result.table("by_month").rows] == [
        ("2026-11", Decimal("180000.00"), 3, 2)
    ]


def test_a_manager_sees_every_win(users, deals):
    result = value.build(users["manager"], NOVEMBER)

    assert values(result) == (
        Decimal("381000.00"),
        3,
        Decimal("127000.00"),
        2,
        Decimal(2) / Decimal(3),
    )
    assert result.table("by_month").rows == [
        {
            "month": "2026-11",
            "amount": Decimal("381000.00"),
            "wins": 5,
            "customers": 3,
        }
    ]


def test_the_average_order_value_is_rounded_to_the_cent(users, deals):
    win(users["rep1"], deals["c"], "0.01", at(2026, 11, 2, 9, 0))

    result = value.build(users["rep1"], NOVEMBER)

    # 180,000.01 over 3 customers.
    assert figures(result)["客单价"] == (Decimal("60000.00"), "amount")
    assert figures(result)["复购率"] == (Decimal(1) / Decimal(3), "rate")


def test_months_follow_shanghai_time(users, deals):
    result = value.build(users["rep1"], ALL_TIME)

    # c's win at 23:30 on 31 October stays in October; a's at 00:10 on
    # 1 November (16:10 UTC on 31 October) is November's; b's at 00:10 on
    # 1 December is December's.
    assert [tuple(r.values()) for r in result.table("by_month").rows] == [
        ("2026-10", Decimal("40000.00"), 1, 1),
        ("2026-11", Decimal("180000.00"), 3, 2),
        ("2026-12", Decimal("70000.00"), 1, 1),
    ]
    # All time: a and b both won twice, c once.
    assert values(result) == (
        Decimal("290000.00"),
        3,
        Decimal("96666.67"),
        2,
        Decimal(2) / Decimal(3),
    )
    chart = {c["key"]: c for c in result.chart_data()}["won_trend"]
    assert chart["categories"] == ["2026-10", "2026-11", "2026-12"]
    assert chart["series"][0]["values"] == [40000.0, 180000.0, 70000.0]


def test_a_period_of_one_day_includes_the_whole_day(users, deals):
    last_day = ReportFilters(
        start=datetime.date(2026, 11, 30), end=datetime.date(2026, 11, 30)
    )

    result = value.build(users["rep1"], last_day)

    assert values(result)[:2] == (Decimal("50000.00"), 1)


def test_a_reverted_win_no_longer_counts(users, deals):
    a2 = deals["a2"]
    opportunity_services.opportunity_move(
        actor=users["rep1"],
        opportunity=a2,
        stage=Stage.NEGOTIATION,
        expected_version=a2.version,
    )

    result = value.build(users["rep1"], NOVEMBER)

    assert values(result) == (
        Decimal("130000.00"),
        2,
        Decimal("65000.00"),
        0,
        Decimal(0),
    )


def test_after_sales_is_still_a_win_and_the_stage_filter_narrows(users, deals):
    a1 = deals["a1"]
    opportunity_services.opportunity_move(
        actor=users["rep1"],
        opportunity=a1,
        stage=Stage.AFTER_SALES,
        expected_version=a1.version,
    )

    everything = value.build(users["rep1"], NOVEMBER)
    after_sales = value.build(
        users["rep1"],
        ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, stage=Stage.AFTER_SALES),
    )
    lead = value.build(
        users["rep1"],
        ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, stage=Stage.LEAD),
    )

    assert values(everything)[:2] == (Decimal("180000.00"), 2)
    assert values(after_sales) == (Decimal("100000.00"), 1, Decimal("100000.00"), 0, 0)
    assert values(lead) == (Decimal("0.00"), 0, None, 0, None)


def test_the_owner_and_customer_filters_narrow_the_wins(users, deals):
    manager = users["manager"]

    rep2_only = value.build(
        manager,
        ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, owner=users["rep2"]),
    )
    real_estate = value.build(
        manager, ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, industry="K")
    )

    assert values(rep2_only) == (
        Decimal("201000.00"),
        1,
        Decimal("201000.00"),
        1,
        Decimal(1),
    )
    assert values(real_estate) == values(rep2_only)
    assert [r["name"] for r in real_estate.table("top").rows] == ["丁公司"]
    assert [r["name"] for r in rep2_only.table("top").rows] == ["丁公司"]


def test_a_customer_shared_with_a_rep_brings_its_deals(users, deals):
    customer_services.customer_share(
        actor=users["rep2"], customer=deals["d"], user=users["rep1"], level="view"
    )

    result = value.build(users["rep1"], NOVEMBER)

    assert values(result)[:4] == (Decimal("381000.00"), 3, Decimal("127000.00"), 2)
    assert result.table("top").rows[0]["name"] == "丁公司"


def test_no_wins_gives_no_average_and_no_rate(users, deals):
    result = value.build(
        users["rep1"],
        ReportFilters(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)),
    )

    assert figures(result) == {
        "成交金额": (Decimal("0.00"), "amount"),
        "成交客户数": (0, "count"),
        "客单价": (None, "amount"),
        "成交2次及以上的客户数": (0, "count"),
        "复购率": (None, "rate"),
    }
    assert result.table("by_month").rows == []
    # The top 10 is all-time, whatever the period.
    assert len(result.table("top").rows) == 3
    json = result.as_json("value", "客户价值", ALL_TIME)
    assert [f["value"] for f in json["figures"]] == ["0.00", 0, None, 0, None]


def test_the_top_customers_are_the_visible_ones_by_all_time_amount(users, deals):
    rep1 = users["rep1"]

    rows = value.build(rep1, NOVEMBER).table("top").rows

    # a: 150,000; b: 100,000 (its December win too); c: 40,000 (October).
    assert [
        (r["rank"], r["customer_no"], r["name"], r["owner"], r["historical_amount"])
        for r in rows
    ] == [
        (1, deals["a"].customer_no, "甲公司", "rep1", Decimal("150000.00")),
        (2, deals["b"].customer_no, "乙公司", "rep1", Decimal("100000.00")),
        (3, deals["c"].customer_no, "丙公司", "rep1", Decimal("40000.00")),
    ]
    assert rows[0]["url"] == deals["a"].get_absolute_url()
    table = value.build(rep1, NOVEMBER).table("top")
    assert "不受所选期间影响" in str(table.note)


def test_the_top_10_breaks_ties_by_customer_id(users):
    admin, rep1 = users["admin"], users["rep1"]
    rep1.first_name = "张伟"
    rep1.save()

    def customer(no, amount):
        return make_customer(
            rep1 if no.endswith("1") else admin,
            customer_no=no,
            historical_amount=Decimal(amount),
        )

    # Same amount: the per-day counter's 999 comes before its 1000, and an
    # earlier day before a later one.
    customer("C202603011000", "5000.00")
    customer("C20260301999", "5000.00")
    customer("C20260302001", "5000.00")
    customer("C20260228001", "5000.00")
    for i in range(2, 10):
        customer(f"C2026040100{i}", f"{10000 + i}.00")
    customer("C20260501001", "0.00")  # no amount: not a top customer

    rows = value.build(users["manager"], NOVEMBER).table("top").rows

    assert [r["customer_no"] for r in rows] == [
        "C20260401009",
        "C20260401008",
        "C20260401007",
        "C20260401006",
        "C20260401005",
        "C20260401004",
        "C20260401003",
        "C20260401002",
        "C20260228001",
        "C20260301999",
    ]
    assert [r["rank"] for r in rows] == list(range(1, 11))
    assert rows[8]["owner"] == "张伟"  # the full name, else the username
    assert rows[9]["owner"] == "admin"


def test_the_query_count_does_not_grow_with_the_wins(
    users, deals, django_assert_max_num_queries
):
    rep1, manager = users["rep1"], users["manager"]
    for viewer in (rep1, manager):
        value.build(viewer, NOVEMBER)  # warm the per-user caches
    with django_assert_max_num_queries(20) as few:
        for viewer in (rep1, manager):
            value.build(viewer, ALL_TIME)
    count = len(few.captured_queries)

    for i in range(12):
        customer = make_customer(rep1 if i % 2 else users["rep2"])
        for month in (10, 11, 12):
            owner = customer.owner
            win(owner, customer, f"{1000 + i}.00", at(2026, month, 1 + i, 12, 0))

    with django_assert_max_num_queries(count) as many:
        for viewer in (rep1, manager):
            value.build(viewer, ALL_TIME)
    assert len(many.captured_queries) == count
