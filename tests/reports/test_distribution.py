"""Customer distribution: customers created in the period by industry section
and division, by area and province (DESIGN §7), as the viewer may see them.

Given customers of rep1 and rep2 in a few industries and provinces (some with
neither), created around the edges of November 2026 in Shanghai time, a
viewer sees exact counts and shares, "Not set" rows last, all 34 provinces
for the map, and a query count that does not grow with the customers."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from customers import services as customer_services
from customers.models import Industry, Region
from reports.filters import ReportFilters
from reports.queries import distribution
from tests.factories import make_customer

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
NOVEMBER = ReportFilters(
    start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30), period="custom"
)
ALL_TIME = ReportFilters()
NOT_SET = "未设置"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def customer(owner, industry, region, created_at, **data):
    return make_customer(
        owner,
        industry=Industry.objects.get(code=industry) if industry else None,
        region=Region.objects.get(code=region) if region else None,
        created_at=created_at,
        **data,
    )


def rows(result, table, *keys):
    return [tuple(r[k] for k in keys) for r in result.table(table).rows]


def share(n, d):
    return Decimal(n) / Decimal(d)


@pytest.fixture
def customers(users):
    rep1, rep2 = users["rep1"], users["rep2"]
    inside = at(2026, 11, 15, 10, 0)
    return [
        # rep1, inside November: two software (I 65), one internet (I 64),
        # one farming (A 01), one with no industry and no province.
        customer(rep1, "65", "31", at(2026, 11, 1, 0, 10)),
        customer(rep1, "65", "44", inside),
        customer(rep1, "64", "31", at(2026, 11, 30, 23, 30)),
        customer(rep1, "01", "11", inside),
        customer(rep1, None, None, inside),
        # rep1, just outside November on either side.
        customer(rep1, "65", "31", at(2026, 10, 31, 23, 30)),
        customer(rep1, "65", "31", at(2026, 12, 1, 0, 10)),
        # rep2, inside November: real estate (K 70) in Shanghai, and one
        # with an industry but no province.
        customer(rep2, "70", "31", inside),
        customer(rep2, "01", None, inside),
    ]


def test_a_rep_sees_their_customers_of_the_period_by_industry(users, customers):
    result = distribution.build(users["rep1"], NOVEMBER)

    assert result.figures == [("客户", 5, "count")]
    assert rows(result, "sections", "section", "section_name", "count", "share") == [
        ("I", "信息传输、软件和信息技术服务业", 3, share(3, 5)),
        ("A", "农、林、牧、渔业", 1, share(1, 5)),
        ("", NOT_SET, 1, share(1, 5)),
    ]
    assert rows(result, "divisions", "code", "name", "section", "count", "share") == [
        ("65", "软件和信息技术服务业", "I", 2, share(2, 5)),
        ("01", "农业", "A", 1, share(1, 5)),
        ("64", "互联网和相关服务", "I", 1, share(1, 5)),
    ]


def test_a_rep_sees_their_customers_by_area_and_every_province(users, customers):
    result = distribution.build(users["rep1"], NOVEMBER)

    # Every area, empty ones in their usual order, then "Not set".
    assert rows(result, "areas", "area", "count", "share") == [
        ("华东", 2, share(2, 5)),
        ("华北", 1, share(1, 5)),
        ("华南", 1, share(1, 5)),
        ("东北", 0, Decimal(0)),
        ("华中", 0, Decimal(0)),
        ("西南", 0, Decimal(0)),
        ("西北", 0, Decimal(0)),
        ("港澳台", 0, Decimal(0)),
        (NOT_SET, 1, share(1, 5)),
    ]
    provinces = result.table("provinces").rows
    assert len(provinces) == 35
    assert [
        (r["code"], r["name"], r["short_name"], r["area"], r["count"], r["share"])
        for r in provinces[:4]
    ] == [
        ("31", "上海市", "上海", "华东", 2, share(2, 5)),
        ("11", "北京市", "北京", "华北", 1, share(1, 5)),
        ("44", "广东省", "广东", "华南", 1, share(1, 5)),
        ("12", "天津市", "天津", "华北", 0, Decimal(0)),
    ]
    assert [r["code"] for r in provinces[3:34]] == sorted(
        Region.objects.exclude(code__in=["11", "31", "44"]).values_list(
            "code", flat=True
        )
    )
    assert (provinces[-1]["name"], provinces[-1]["count"]) == (NOT_SET, 1)


def test_a_manager_sees_every_customer(users, customers):
    result = distribution.build(users["manager"], NOVEMBER)

    assert result.figures[0][1] == 7
    assert rows(result, "sections", "section", "count") == [
        ("I", 3),
        ("A", 2),
        ("K", 1),
        ("", 1),
    ]
    assert rows(result, "divisions", "code", "count") == [
        ("01", 2),
        ("65", 2),
        ("64", 1),
        ("70", 1),
    ]
    assert rows(result, "areas", "area", "count")[:3] == [
        ("华东", 3),
        ("华北", 1),
        ("华南", 1),
    ]
    assert rows(result, "areas", "area", "count", "share")[-1] == (
        NOT_SET,
        2,
        share(2, 7),
    )


def test_a_customer_shared_with_a_rep_counts_for_them(users, customers):
    rep2_estate = customers[7]
    customer_services.customer_share(
        actor=users["rep2"], customer=rep2_estate, user=users["rep1"], level="view"
    )

    result = distribution.build(users["rep1"], NOVEMBER)

    assert result.figures[0][1] == 6
    assert ("K", 1) in rows(result, "sections", "section", "count")


def test_all_time_counts_customers_created_on_any_day(users, customers):
    result = distribution.build(users["rep1"], ALL_TIME)

    assert result.figures[0][1] == 7
    assert rows(result, "divisions", "code", "count")[0] == ("65", 4)


def test_the_filters_narrow_the_customers(users, customers):
    manager = users["manager"]

    east = distribution.build(
        manager,
        ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, region="华东"),
    )
    by_owner = distribution.build(
        manager,
        ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, owner=users["rep2"]),
    )
    section_a = distribution.build(manager, ReportFilters(industry="A"))

    assert east.figures[0][1] == 3
    assert rows(east, "sections", "section", "count") == [("I", 2), ("K", 1)]
    assert by_owner.figures[0][1] == 2
    assert rows(by_owner, "provinces", "code", "count")[0] == ("31", 1)
    assert rows(by_owner, "provinces", "name", "count")[-1] == (NOT_SET, 1)
    assert rows(section_a, "divisions", "code", "count") == [("01", 2)]


def test_a_customer_in_the_trash_is_not_counted(users, customers):
    customer_services.customer_delete(actor=users["manager"], customer=customers[0])

    result = distribution.build(users["rep1"], NOVEMBER)

    assert result.figures[0][1] == 4


def test_no_customers_gives_empty_groups_and_no_shares(users):
    result = distribution.build(users["rep1"], NOVEMBER)

    assert result.figures == [("客户", 0, "count")]
    assert result.table("sections").rows == []
    assert result.table("divisions").rows == []
    assert [r["count"] for r in result.table("areas").rows] == [0] * 8
    provinces = result.table("provinces").rows
    assert len(provinces) == 34
    assert {(r["count"], r["share"]) for r in provinces} == {(0, None)}
    assert provinces[0]["code"] == "11"


def test_the_charts_draw_the_tables(users, customers):
    charts = {
        c["key"]: c for c in distribution.build(users["rep1"], NOVEMBER).chart_data()
    }

    assert charts["sections_pie"]["categories"] == [
        "信息传输、软件和信息技术服务业",
        "农、林、牧、渔业",
        NOT_SET,
    ]
    assert charts["sections_pie"]["series"][0]["values"] == [3, 1, 1]
    assert charts["province_map"]["categories"][:3] == ["上海", "北京", "广东"]
    assert len(charts["province_map"]["series"][0]["values"]) == 35
    assert charts["areas_bar"]["categories"][0] == "华东"
    assert charts["divisions_bar"]["categories"][0] == "软件和信息技术服务业"


def test_the_query_count_does_not_grow_with_the_customers(
    users, django_assert_max_num_queries
):
    rep1, manager = users["rep1"], users["manager"]
    customer(rep1, "65", "31", at(2026, 11, 2, 9, 0))
    counts = {}
    for viewer in (rep1, manager):
        distribution.build(viewer, NOVEMBER)  # warm the per-user caches
    with django_assert_max_num_queries(10) as few:
        for viewer in (rep1, manager):
            distribution.build(viewer, NOVEMBER)
    counts["few"] = len(few.captured_queries)

    codes = ["01", "13", "64", "65", "70", None]
    provinces = ["11", "31", "44", "51", "81", None]
    for i in range(24):
        customer(rep1, codes[i % 6], provinces[i % 5], at(2026, 11, 3 + i % 20, 9, 0))

    with django_assert_max_num_queries(counts["few"]) as many:
        for viewer in (rep1, manager):
            distribution.build(viewer, NOVEMBER)
    assert len(many.captured_queries) == counts["few"]
