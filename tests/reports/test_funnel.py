"""The sales funnel report (DESIGN §7 Funnel): stages reached, conversion,
win rate, deal cycle and days in each stage, as a user sees them."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from customers.models import Customer, Tag
from opportunities import services
from opportunities.models import Opportunity, Stage, StageChange
from reports.filters import ReportFilters
from reports.queries import funnel
from tests.factories import make_customer

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = ReportFilters(
    start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31), period="custom"
)
STAGE_KEYS = ["lead", "analysis", "proposal", "negotiation", "won"]


def at(month, day, hour=9, minute=0) -> datetime.datetime:
    """A moment of 2026 on Shanghai's clock."""
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def deal(actor, customer, created, *moves, stage=Stage.LEAD) -> Opportunity:
    """A deal created at `created` in `stage`, then moved as the app moves it:
    `moves` are (stage, when) pairs; Stage.LOST loses it at its stage."""
    opportunity = services.opportunity_create(
        actor=actor,
        customer=customer,
        data={"name": "测试机会", "amount": Decimal("1000.00")},
        stage=stage,
        created_at=created,
    )
    for target, when in moves:
        if target == Stage.LOST:
            opportunity = services.opportunity_lose(
                actor=actor,
                opportunity=opportunity,
                reason="价格偏高",
                expected_version=opportunity.version,
                at=when,
            )
        else:
            opportunity = services.opportunity_move(
                actor=actor,
                opportunity=opportunity,
                stage=target,
                expected_version=opportunity.version,
                at=when,
            )
    return opportunity


def imported(owner, customer, created, stage, *, lost_stage="", won_at=None):
    """A deal loaded from old data: no stage history at all."""
    lost = stage == Stage.LOST
    return Opportunity.objects.create(
        name="导入机会",
        customer=customer,
        owner=owner,
        created_by=owner,
        stage=stage,
        lost_stage=lost_stage,
        lost_reason="价格偏高" if lost else "",
        lost_at=created if lost else None,
        won_at=won_at,
        amount=Decimal("1000.00"),
        created_at=created,
        stage_changed_at=created,
        last_activity_at=created,
    )


def shown(result, filters=MARCH) -> dict:
    """The report as its JSON download shows it (rates in %, days to 0.1)."""
    with translation.override("en"):
        data = result.as_json("funnel", "Sales funnel", filters)
    data["figures"] = {f["label"]: f["value"] for f in data["figures"]}
    return data


def stages(result, filters=MARCH) -> dict:
    """{stage code: (reached, conversion %, average days)}."""
    rows = shown(result, filters)["tables"]["stages"]["rows"]
    assert [r["key"] for r in rows] == STAGE_KEYS
    return {r["key"]: (r["reached"], r["conversion"], r["avg_days"]) for r in rows}


def test_reached_conversion_and_win_rate_follow_each_deals_furthest_stage(users):
    # Given rep1's deals created in March, moved by the services or imported
    # without history, and rep2's won deal the same month
    rep1 = users["rep1"]
    mine = make_customer(rep1)
    theirs = make_customer(users["rep2"])
    # every stage in turn, won
    deal(
        rep1,
        mine,
        at(3, 2),
        (Stage.ANALYSIS, at(3, 3)),
        (Stage.PROPOSAL, at(3, 4)),
        (Stage.NEGOTIATION, at(3, 5)),
        (Stage.WON, at(3, 6)),
    )
    # analysis skipped, lost at the proposal
    deal(rep1, mine, at(3, 2), (Stage.PROPOSAL, at(3, 3)), (Stage.LOST, at(3, 4)))
    # created straight into needs analysis, still there
    deal(rep1, mine, at(3, 2), stage=Stage.ANALYSIS)
    # from lead straight to won, then after-sales
    deal(rep1, mine, at(3, 2), (Stage.WON, at(3, 3)), (Stage.AFTER_SALES, at(3, 4)))
    # won, then moved back to negotiation: it has been in 成交
    deal(
        rep1,
        mine,
        at(3, 2),
        (Stage.ANALYSIS, at(3, 3)),
        (Stage.WON, at(3, 4)),
        (Stage.NEGOTIATION, at(3, 5)),
    )
    # lost at negotiation, reopened as a lead: reached negotiation
    deal(
        rep1,
        mine,
        at(3, 2),
        (Stage.NEGOTIATION, at(3, 3)),
        (Stage.LOST, at(3, 4)),
        (Stage.LEAD, at(3, 5)),
    )
    # lost where it started
    deal(rep1, mine, at(3, 2), (Stage.LOST, at(3, 3)))
    imported(rep1, mine, at(3, 2), Stage.NEGOTIATION)
    imported(rep1, mine, at(3, 2), Stage.LOST, lost_stage=Stage.PROPOSAL)
    imported(rep1, mine, at(3, 2), Stage.AFTER_SALES, won_at=at(3, 2))
    deal(users["rep2"], theirs, at(3, 2), (Stage.WON, at(3, 3)))

    # When rep1 opens March's funnel
    result = funnel.build(rep1, MARCH)

    # Then 10 deals reached 线索, 9 需求分析, 8 方案报价, 6 合同谈判, 4 成交
    reached = {key: row[:2] for key, row in stages(result).items()}
    assert reached == {
        "lead": (10, 90.0),
        "analysis": (9, 88.9),
        "proposal": (8, 75.0),
        "negotiation": (6, 66.7),
        "won": (4, None),
    }
    figures = shown(result)["figures"]
    assert figures["Opportunities"] == 10
    assert figures["Win rate"] == 40.0
    assert figures["Won in the period"] == 3
    assert figures["Lost"] == 3
    lost = shown(result)["tables"]["lost"]
    assert [(r["key"], r["count"]) for r in lost["rows"]] == [
        ("lead", 1),
        ("analysis", 0),
        ("proposal", 2),
        ("negotiation", 0),
    ]
    assert lost["total"]["count"] == 3
    # and the charts draw the same numbers under the stages' names
    with translation.override("zh-hans"):
        charts = {c["key"]: c for c in result.chart_data()}
    assert charts["funnel"]["kind"] == "funnel"
    assert charts["funnel"]["categories"] == [
        "线索",
        "需求分析",
        "方案报价",
        "合同谈判",
        "成交",
    ]
    assert charts["funnel"]["series"][0]["values"] == [10, 9, 8, 6, 4]
    assert charts["stage_days"]["kind"] == "bar"

    # And the manager's funnel has rep2's win too
    everyone = stages(funnel.build(users["manager"], MARCH))
    assert [everyone[key][0] for key in STAGE_KEYS] == [11, 10, 9, 7, 5]


def test_a_deal_moved_back_from_won_still_reached_won(users):
    # Given a deal won and then moved back to proposal
    rep1 = users["rep1"]
    deal(
        rep1,
        make_customer(rep1),
        at(3, 2),
        (Stage.WON, at(3, 3)),
        (Stage.PROPOSAL, at(3, 4)),
    )

    # When the funnel is computed
    result = funnel.build(rep1, MARCH)

    # Then it counts as having reached 成交 (a win rate of 100%), but it is
    # not a deal won in the period, and the note says why
    assert [stages(result)[key][0] for key in STAGE_KEYS] == [1, 1, 1, 1, 1]
    assert shown(result)["figures"]["Win rate"] == 100.0
    assert shown(result)["figures"]["Won in the period"] == 0
    with translation.override("en"):
        assert "moved back from Won" in str(result.table("stages").note)


def test_zero_denominators_show_a_dash(users):
    # Given no deal at all
    rep1 = users["rep1"]

    # When the funnel is computed
    empty = funnel.build(rep1, MARCH)

    # Then every count is 0 and every rate, cycle and stay is "—"
    assert stages(empty) == {key: (0, None, None) for key in STAGE_KEYS}
    assert shown(empty)["figures"] == {
        "Opportunities": 0,
        "Win rate": None,
        "Average deal cycle (days)": None,
        "Won in the period": 0,
        "Lost": 0,
    }

    # Given one lead that goes nowhere
    deal(rep1, make_customer(rep1), at(3, 2))

    # Then 线索 converts at 0%, and the stages after it have nothing to convert
    lead_only = stages(funnel.build(rep1, MARCH, now=at(3, 4)))
    assert lead_only["lead"] == (1, 0.0, 2.0)
    assert lead_only["analysis"] == (0, None, None)
    assert lead_only["won"] == (0, None, None)


def test_deal_cycle_covers_the_deals_won_in_the_period(users):
    # Given deals created and won at various times
    rep1 = users["rep1"]
    customer = make_customer(rep1)
    # created in February, won in March: 18.5 days
    deal(rep1, customer, at(2, 20), (Stage.WON, at(3, 10, 21)))
    # created and won in March: 3.5 days, then after-sales
    deal(
        rep1,
        customer,
        at(3, 1),
        (Stage.WON, at(3, 4, 21)),
        (Stage.AFTER_SALES, at(3, 20)),
    )
    # created in March, won in April
    deal(rep1, customer, at(3, 20), (Stage.WON, at(4, 2)))
    # won in March, then moved back: not won any more
    deal(rep1, customer, at(3, 1), (Stage.WON, at(3, 5)), (Stage.LEAD, at(3, 6)))
    # lost in March
    deal(rep1, customer, at(3, 1), (Stage.LOST, at(3, 8)))

    # When March's funnel is computed
    figures = shown(funnel.build(rep1, MARCH))["figures"]

    # Then two deals were won in March, in (18.5 + 3.5) / 2 days on average,
    # while the deals created in March are four
    assert figures["Won in the period"] == 2
    assert figures["Average deal cycle (days)"] == 11.0
    assert figures["Opportunities"] == 4
    assert figures["Lost"] == 1


def test_days_in_each_stage_add_up_a_deals_stays(users):
    # Given deals created in March whose moves happened at known times
    rep1 = users["rep1"]
    customer = make_customer(rep1)
    # lead 2 + 1 days, analysis 5 + 2.5 days, proposal 1 day, then lost
    deal(
        rep1,
        customer,
        at(3, 1),
        (Stage.ANALYSIS, at(3, 3)),
        (Stage.PROPOSAL, at(3, 8)),
        (Stage.LEAD, at(3, 9)),
        (Stage.ANALYSIS, at(3, 10)),
        (Stage.LOST, at(3, 12, 21)),
    )
    # lead 1 day, analysis 2.5 days, won 10 days until after-sales
    deal(
        rep1,
        customer,
        at(3, 5, 0),
        (Stage.ANALYSIS, at(3, 6, 0)),
        (Stage.WON, at(3, 8, 12)),
        (Stage.AFTER_SALES, at(3, 18, 12)),
    )
    # still a lead: 10 days up to now
    deal(rep1, customer, at(3, 31, 12))
    # lead 2 days, negotiation 1 day, won since: that stay is left out
    deal(
        rep1,
        customer,
        at(3, 2),
        (Stage.NEGOTIATION, at(3, 4)),
        (Stage.WON, at(3, 5)),
    )
    # lead 1 day, then two moves at the same instant: analysis 0 days (the
    # rows are ordered by id), proposal 1 day, lost
    deal(
        rep1,
        customer,
        at(3, 2),
        (Stage.ANALYSIS, at(3, 3)),
        (Stage.PROPOSAL, at(3, 3)),
        (Stage.LOST, at(3, 4)),
    )
    # imported without history: no days anywhere
    imported(rep1, customer, at(3, 2), Stage.PROPOSAL)
    # created in February: its 28 days as a lead are not March's
    deal(rep1, customer, at(2, 1), (Stage.ANALYSIS, at(3, 1)))

    # When the funnel is computed on 10 April at noon
    result = funnel.build(rep1, MARCH, now=at(4, 10, 12))

    # Then the average over the deals that were in a stage of their total
    # days there: 线索 (3 + 1 + 10 + 2 + 1) / 5, 需求分析 (7.5 + 2.5 + 0) / 3,
    # 方案报价 (1 + 1) / 2, 合同谈判 1, 成交 10
    rows = {row["key"]: row["avg_days"] for row in result.table("stages").rows}
    assert rows == {
        "lead": Decimal("3.4"),
        "analysis": Decimal(10) / Decimal(3),
        "proposal": Decimal(1),
        "negotiation": Decimal(1),
        "won": Decimal(10),
    }
    assert [days for _, _, days in stages(result).values()] == [
        3.4,
        3.3,
        1.0,
        1.0,
        10.0,
    ]


def test_a_changed_stage_time_moves_the_days(users):
    # Given a lead moved to analysis after one day, whose history is then
    # corrected to say it entered analysis after four days
    rep1 = users["rep1"]
    opportunity = deal(
        rep1,
        make_customer(rep1),
        at(3, 2),
        (Stage.ANALYSIS, at(3, 3)),
        (Stage.LOST, at(3, 10)),
    )
    StageChange.objects.filter(opportunity=opportunity, to_stage=Stage.ANALYSIS).update(
        changed_at=at(3, 6, 21)
    )

    # When the funnel is computed
    days = {key: row[2] for key, row in stages(funnel.build(rep1, MARCH)).items()}

    # Then the lead stayed 4.5 days and analysis 3.5 days
    assert days == {
        "lead": 4.5,
        "analysis": 3.5,
        "proposal": None,
        "negotiation": None,
        "won": None,
    }


def test_the_period_runs_whole_days_in_shanghai(users):
    # Given deals created and won around the ends of March, Shanghai time
    rep1 = users["rep1"]
    customer = make_customer(rep1)
    deal(rep1, customer, at(2, 28, 23, 59))
    deal(rep1, customer, at(3, 1, 0, 0))
    deal(rep1, customer, at(3, 31, 23, 30))
    deal(rep1, customer, at(4, 1, 0, 10))
    deal(rep1, customer, at(2, 1, 9), (Stage.WON, at(3, 31, 23, 30)))
    deal(rep1, customer, at(2, 1, 9), (Stage.WON, at(4, 1, 0, 10)))

    # When March's funnel is computed
    figures = shown(funnel.build(rep1, MARCH))["figures"]

    # Then the deals of 1 March 00:00 and 31 March 23:30 are March's, and
    # the win at 23:30 on the 31st is, 58 days 14.5 hours after creation
    assert figures["Opportunities"] == 2
    assert figures["Won in the period"] == 1
    assert figures["Average deal cycle (days)"] == 58.6


def test_a_rep_sees_only_the_deals_they_may_see(users):
    # Given rep1's won deal, rep2's lost deal and a deal rep1 deleted
    rep1, rep2 = users["rep1"], users["rep2"]
    deal(rep1, make_customer(rep1), at(3, 2), (Stage.WON, at(3, 4)))
    deal(rep2, make_customer(rep2), at(3, 2), (Stage.LOST, at(3, 3)))
    trashed = deal(rep1, make_customer(rep1), at(3, 2))
    services.opportunity_delete(actor=rep1, opportunity=trashed)

    # When each opens the funnel
    mine = shown(funnel.build(rep1, MARCH))["figures"]
    theirs = shown(funnel.build(rep2, MARCH))["figures"]
    everyone = shown(funnel.build(users["manager"], MARCH))["figures"]

    # Then each sees their own figures, the manager both, nobody the trash
    assert (mine["Opportunities"], mine["Won in the period"], mine["Lost"]) == (
        1,
        1,
        0,
    )
    assert (theirs["Opportunities"], theirs["Won in the period"], theirs["Lost"]) == (
        1,
        0,
        1,
    )
    assert (
        everyone["Opportunities"],
        everyone["Won in the period"],
        everyone["Lost"],
    ) == (2, 1, 1)


def test_filters_narrow_every_figure(users):
    # Given deals of two reps on customers of two levels
    rep1, rep2 = users["rep1"], users["rep2"]
    promising = Tag.objects.get(name="高潜力客户")
    big = make_customer(rep1, level=Customer.Level.A, tags=[promising])
    small = make_customer(rep2, level=Customer.Level.C)
    deal(rep1, big, at(3, 2), (Stage.WON, at(3, 4)))
    deal(rep1, big, at(3, 2), (Stage.LOST, at(3, 3)))
    deal(rep2, small, at(3, 2), (Stage.PROPOSAL, at(3, 3)))
    manager = users["manager"]

    def figures(**chosen):
        filters = ReportFilters(start=MARCH.start, end=MARCH.end, **chosen)
        data = shown(funnel.build(manager, filters), filters)["figures"]
        return data["Opportunities"], data["Won in the period"], data["Lost"]

    # When the manager filters by owner, customer level, tag, industry and
    # region or current stage
    # Then only the matching deals count
    assert figures() == (3, 1, 1)
    assert figures(owner=rep2) == (1, 0, 0)
    assert figures(level=Customer.Level.A) == (2, 1, 1)
    assert figures(tag=promising) == (2, 1, 1)
    assert figures(industry="65", region="31") == (3, 1, 1)
    assert figures(stage=Stage.LOST) == (1, 0, 1)
    assert figures(stage=Stage.WON) == (1, 1, 0)


def test_the_number_of_queries_does_not_grow_with_the_deals(
    users, django_assert_max_num_queries
):
    # Given a few deals with history and one imported
    rep1 = users["rep1"]
    customer = make_customer(rep1)

    def add_deals(count):
        for i in range(count):
            deal(
                rep1,
                customer,
                at(3, 2),
                (Stage.ANALYSIS, at(3, 3)),
                (Stage.WON if i % 2 else Stage.LOST, at(3, 4)),
            )
            imported(rep1, customer, at(3, 2), Stage.NEGOTIATION)

    add_deals(2)
    with CaptureQueriesContext(connection) as few:
        funnel.build(rep1, MARCH)

    # When ten times as many deals are there
    add_deals(20)

    # Then the funnel takes no more queries
    with django_assert_max_num_queries(len(few.captured_queries)):
        result = funnel.build(rep1, MARCH)
    assert shown(result)["figures"]["Opportunities"] == 44
