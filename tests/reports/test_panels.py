"""The reports' workbench panels: the managers' dashboard (this month's key
figures against last month's, each linking to its report) and a user's
progress on this month's sales target.

Given customers, follow-ups, deals, payments and targets of rep1 and rep2
around the edges of September and October 2026 in Shanghai time, the
dashboard for "today" 2026-10-15 shows exact figures and changes; a rep's
figures leave rep2's records out; the workbench shows each panel to the
right roles; the dashboard's query count does not grow with the data."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opportunities import services as deal_services
from opportunities.models import Stage
from reports import panels
from reports.models import SalesTarget
from reports.queries import dashboard
from tests.factories import client_for, make_customer, make_followup

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
TODAY = datetime.date(2026, 10, 15)
OCTOBER, SEPTEMBER = datetime.date(2026, 10, 1), datetime.date(2026, 9, 1)
WORKBENCH = reverse("crm:workbench")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def deal(owner, customer, amount, created_at, won_at=None, lost=False):
    """A deal created at `created_at` (and won at `won_at`) by the services."""
    opportunity = deal_services.opportunity_create(
        actor=owner,
        customer=customer,
        data={"name": f"机会{amount}", "amount": Decimal(amount)},
        created_at=created_at,
    )
    if won_at:
        opportunity = deal_services.opportunity_move(
            actor=owner,
            opportunity=opportunity,
            stage=Stage.WON,
            expected_version=opportunity.version,
            at=won_at,
        )
    if lost:
        opportunity = deal_services.opportunity_lose(
            actor=owner,
            opportunity=opportunity,
            reason="价格偏高",
            expected_version=opportunity.version,
            at=created_at,
        )
    return opportunity


def pay(owner, opportunity, amount, received_on):
    deal_services.payment_add(
        actor=owner,
        opportunity=opportunity,
        data={"amount": Decimal(amount), "received_on": received_on},
    )


def target(user, month, amount, new_customers=None):
    return SalesTarget.objects.create(
        user=user, month=month, won_amount=Decimal(amount), new_customers=new_customers
    )


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def tile(html: str, key: str) -> str:
    """One figure's tile of the dashboard, whitespace collapsed."""
    match = re.search(
        rf'<div class="dashboard-figure" id="dashboard-{key}">(.*?)</div>', html, re.S
    )
    return re.sub(r"\s+", " ", match.group(1)) if match else ""


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def bar(html: str, element_id: str) -> tuple[Decimal, Decimal]:
    """A <progress> bar's value and max."""
    match = re.search(
        rf'<progress [^>]*id="{element_id}" value="([\d.]+)" max="([\d.]+)"', html
    )
    return Decimal(match.group(1)), Decimal(match.group(2))


def workbench(client, user) -> str:
    response = client_for(client, user).get(WORKBENCH)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def months(users):
    """September and October 2026, with rows just inside and just outside."""
    rep1, rep2 = users["rep1"], users["rep2"]
    # Customers: rep1 two in October (its first and last minutes), one in
    # September's last minutes; one just after October, one in August.
    a = make_customer(rep1, created_at=at(2026, 10, 1, 0, 10))
    make_customer(rep1, created_at=at(2026, 10, 31, 23, 30))
    make_customer(rep1, created_at=at(2026, 11, 1, 0, 10))
    make_customer(rep1, created_at=at(2026, 9, 30, 23, 30))
    make_customer(rep1, created_at=at(2026, 8, 31, 23, 30))
    f = make_customer(rep2, created_at=at(2026, 10, 10, 12, 0))
    make_customer(rep2, created_at=at(2026, 9, 10, 12, 0))
    # Follow-ups: rep1 two in October, one in September, one just after.
    for occurred in (
        at(2026, 10, 31, 23, 30),
        at(2026, 10, 5, 9, 0),
        at(2026, 9, 1, 0, 10),
        at(2026, 11, 1, 0, 10),
    ):
        make_followup(rep1, a, occurred_at=occurred)
    make_followup(rep2, f, occurred_at=at(2026, 10, 20, 9, 0))
    # Deals. Created in October: 50,000 + 10,000 (lost) + 300,000;
    # in September: 100,000 + 200,000. Won in October: 100,000 + 300,000;
    # in September: 200,000.
    d1 = deal(rep1, a, 100_000, at(2026, 9, 30, 23, 30), won_at=at(2026, 10, 1, 0, 10))
    deal(rep1, a, 50_000, at(2026, 10, 31, 23, 30))
    d3 = deal(rep1, a, 200_000, at(2026, 9, 5, 10, 0), won_at=at(2026, 9, 30, 23, 30))
    deal(rep1, a, 10_000, at(2026, 10, 3, 10, 0), lost=True)
    d4 = deal(rep2, f, 300_000, at(2026, 10, 2, 10, 0), won_at=at(2026, 10, 31, 23, 30))
    d5 = deal(rep2, f, 80_000, at(2026, 11, 1, 0, 10), won_at=at(2026, 11, 1, 0, 10))
    # Payments up to the end of the month each deal was won in count.
    pay(rep1, d1, 30_000, datetime.date(2026, 10, 20))
    pay(rep1, d1, 20_000, datetime.date(2026, 11, 2))
    pay(rep2, d4, 100_000, datetime.date(2026, 10, 31))
    pay(rep1, d3, 50_000, datetime.date(2026, 9, 30))
    pay(rep1, d3, 100_000, datetime.date(2026, 10, 1))
    pay(rep2, d5, 10_000, datetime.date(2026, 11, 2))
    target(rep1, OCTOBER, 200_000)
    target(rep2, OCTOBER, 300_000)
    target(rep1, SEPTEMBER, 400_000)
    target(rep2, datetime.date(2026, 11, 1), 999_000)


def test_a_manager_sees_every_users_figures_for_both_months(users, months):
    figures = dashboard.key_figures(users["manager"], TODAY)

    assert (figures.this_month, figures.last_month) == (OCTOBER, SEPTEMBER)
    assert figures.new_customers == dashboard.Pair(3, 2)
    assert figures.followups == dashboard.Pair(3, 1)
    assert figures.pipeline == dashboard.Pair(Decimal("360000"), Decimal("300000"))
    assert figures.won == dashboard.Pair(Decimal("400000"), Decimal("200000"))
    # October: (30,000 + 100,000) / 400,000; September: 50,000 / 200,000
    # (the 100,000 received on 1 October is after September's end).
    assert figures.collection == dashboard.Pair(Decimal("0.325"), Decimal("0.25"))
    # October: 400,000 / (200,000 + 300,000); September: 200,000 / 400,000.
    assert figures.target_completion == dashboard.Pair(Decimal("0.8"), Decimal("0.5"))
    assert figures.targets == dashboard.Pair(Decimal("500000"), Decimal("400000"))


def test_a_reps_figures_leave_out_the_other_reps_records(users, months):
    figures = dashboard.key_figures(users["rep1"], TODAY)

    assert figures.new_customers == dashboard.Pair(2, 1)
    assert figures.followups == dashboard.Pair(2, 1)
    assert figures.pipeline == dashboard.Pair(Decimal("60000"), Decimal("300000"))
    assert figures.won == dashboard.Pair(Decimal("100000"), Decimal("200000"))
    assert figures.collection == dashboard.Pair(Decimal("0.3"), Decimal("0.25"))


def test_the_changes_from_last_month():
    assert panels.change(3, 2, "count") == panels.Change(
        "up", "+", amount=1, relative=Decimal("0.5")
    )
    assert panels.change(
        Decimal("300000"), Decimal("360000"), "amount"
    ) == panels.Change(
        "down", "−", amount=Decimal("60000"), relative=Decimal("60000") / 360000
    )
    # Rates change by percentage points (of the rounded percentages shown).
    assert panels.change(Decimal("0.325"), Decimal("0.25"), "rate") == panels.Change(
        "up", "+", points=Decimal("7.5")
    )
    # Last month 0: no relative change; a rate without a value: no change.
    assert panels.change(4, 0, "count").relative is None
    assert panels.change(0, 0, "count").direction == "flat"
    assert panels.change(Decimal("0.3251"), Decimal("0.3249"), "rate") == (
        panels.Change("flat", "", points=Decimal("0.0"))
    )
    assert panels.change(None, Decimal("0.5"), "rate") is None
    assert panels.change(Decimal("0.5"), None, "rate") is None


def test_nothing_to_count_shows_zeros_and_dashes(users):
    figures = dashboard.key_figures(users["manager"], TODAY)

    assert figures.new_customers == dashboard.Pair(0, 0)
    assert figures.won == dashboard.Pair(Decimal("0.00"), Decimal("0.00"))
    assert figures.collection == dashboard.Pair(None, None)
    assert figures.target_completion == dashboard.Pair(None, None)
    assert figures.targets == dashboard.Pair(None, None)


def test_the_dashboard_reads_four_queries_whatever_the_data(users, months):
    manager, rep1 = users["manager"], users["rep1"]
    for user in (manager, rep1):
        dashboard.key_figures(user, TODAY)  # permissions read and cached
    counts = {}
    for user in (manager, rep1):
        with CaptureQueriesContext(connection) as few:
            dashboard.key_figures(user, TODAY)
        counts[user.username] = len(few)
    assert counts["manager"] == 4

    customer = make_customer(rep1, created_at=at(2026, 10, 2, 9, 0))
    for day in range(1, 11):
        make_followup(rep1, customer, occurred_at=at(2026, 10, day, 9, 0))
        won = deal(rep1, customer, 1_000, at(2026, 9, day), won_at=at(2026, 10, day))
        pay(rep1, won, 500, datetime.date(2026, 10, day))
        make_customer(users["rep2"], created_at=at(2026, 9, day, 9, 0))

    for user in (manager, rep1):
        with CaptureQueriesContext(connection) as many:
            figures = dashboard.key_figures(user, TODAY)
        assert len(many) == counts[user.username]
    assert figures.won.this == Decimal("110000")


def rendered_tiles(rf, user, today) -> dict[str, str]:
    request = rf.get(WORKBENCH)
    request.user = user
    html = render_to_string(
        "reports/panels/dashboard.html", {"data": panels.dashboard(request, today)}
    )
    keys = re.findall(r'id="dashboard-(\w+)"', html)
    return {key: text(tile(html, key)) for key in keys}


def test_the_dashboard_shows_the_rises_since_september(rf, users, months):
    tiles = rendered_tiles(rf, users["manager"], TODAY)

    assert tiles == {
        "new_customers": "3 新增客户 较上月 +1 (+50.0%) 上月 2",
        "followups": "3 跟进记录 较上月 +2 (+200.0%) 上月 1",
        "pipeline": (
            "¥360,000.00 新增商机金额 较上月 +¥60,000.00 (+20.0%) 上月 ¥300,000.00"
        ),
        "won": "¥400,000.00 成交金额 较上月 +¥200,000.00 (+100.0%) 上月 ¥200,000.00",
        "collection": "32.5% 回款率 较上月 +7.5 个百分点 上月 25.0%",
        "target_completion": (
            "80.0% 目标完成率 较上月 +30.0 个百分点 上月 50.0% 业绩目标 →"
        ),
    }


def test_the_dashboard_shows_the_falls_since_october(rf, users, months):
    tiles = rendered_tiles(rf, users["manager"], datetime.date(2026, 11, 15))

    assert tiles == {
        "new_customers": "1 新增客户 较上月 −2 (−66.7%) 上月 3",
        "followups": "1 跟进记录 较上月 −2 (−66.7%) 上月 3",
        "pipeline": (
            "¥80,000.00 新增商机金额 较上月 −¥280,000.00 (−77.8%) 上月 ¥360,000.00"
        ),
        "won": "¥80,000.00 成交金额 较上月 −¥320,000.00 (−80.0%) 上月 ¥400,000.00",
        # 10,000 / 80,000 against 130,000 / 400,000.
        "collection": "12.5% 回款率 较上月 −20.0 个百分点 上月 32.5%",
        # 80,000 / 999,000 against 400,000 / 500,000.
        "target_completion": (
            "8.0% 目标完成率 较上月 −72.0 个百分点 上月 80.0% 业绩目标 →"
        ),
    }


# -- the workbench ------------------------------------------------------------


@pytest.fixture
def this_month(users):
    """rep1 this month: two new customers, a follow-up, a 100,000 deal won
    (40,000 received), a 200,000 target with 4 new customers."""
    rep1 = users["rep1"]
    customer = make_customer(rep1)
    make_customer(rep1)
    make_followup(rep1, customer)
    won = deal(rep1, customer, 100_000, timezone.now(), won_at=timezone.now())
    pay(rep1, won, 40_000, timezone.localdate())
    first = timezone.localdate().replace(day=1)
    target(rep1, first, 200_000, new_customers=4)
    return won


def test_a_manager_gets_the_dashboard_with_links_to_the_reports(
    client, users, this_month
):
    html = workbench(client, users["manager"])
    panel = section(html, "panel-dashboard")

    assert "本月关键指标" in panel
    customers = tile(panel, "new_customers")
    assert 'href="/reports/distribution/?period=this_month"' in customers
    assert text(customers).startswith("2 新增客户 较上月 +2 (—)")
    assert 'href="/reports/distribution/?period=last_month"' in customers
    assert "上月 0" in text(customers)
    assert 'href="/reports/team/?period=this_month"' in tile(panel, "followups")
    assert text(tile(panel, "followups")).startswith("1 ")
    pipeline = tile(panel, "pipeline")
    assert 'href="/reports/funnel/?period=this_month"' in pipeline
    assert text(pipeline).startswith("¥100,000.00 新增商机金额 较上月 +¥100,000.00 (—)")
    won = tile(panel, "won")
    assert 'href="/reports/value/?period=this_month"' in won
    assert text(won).startswith("¥100,000.00 成交金额")
    collection = tile(panel, "collection")
    assert 'href="/reports/team/?period=this_month"' in collection
    # Last month had no wins: no rate, so no change either.
    assert text(collection).startswith("40.0% 回款率 较上月 — 上月 —")
    completion = text(tile(panel, "target_completion"))
    assert completion.startswith("50.0% 目标完成率 较上月 — 上月 —")
    assert "业绩目标" in completion
    assert reverse("reports:targets") + "?month=" in tile(panel, "target_completion")


def test_without_targets_the_completion_is_a_dash_with_a_link_to_set_them(
    client, users
):
    panel = section(workbench(client, users["admin"]), "panel-dashboard")

    completion = text(tile(panel, "target_completion"))
    assert completion.startswith("— 目标完成率 较上月 — 上月 —")
    assert "未设定目标，去设定" in completion
    assert text(tile(panel, "new_customers")).startswith("0 新增客户 较上月 持平")


def test_a_rep_sees_their_target_progress_and_no_dashboard(client, users, this_month):
    html = workbench(client, users["rep1"])

    assert not section(html, "panel-dashboard")
    panel = section(html, "panel-target")
    assert "本月我的目标" in panel
    assert re.search(r'id="target-amount">¥200,000.00<', panel)
    assert re.search(r'id="target-won">¥100,000.00<', panel)
    assert re.search(r'id="target-completion">50.0%<', panel)
    assert bar(panel, "target-bar") == (Decimal("100000"), Decimal("200000"))
    assert "新增客户：2 / 4（50.0%）" in text(panel)
    assert bar(panel, "target-customers-bar") == (2, 4)
    assert f"/reports/team/?period=this_month&amp;owner={users['rep1'].pk}" in panel
    assert "style=" not in panel


def test_past_the_target_the_bar_is_full(client, users, this_month):
    SalesTarget.objects.filter(user=users["rep1"]).update(
        won_amount=Decimal("80000"), new_customers=0
    )
    panel = section(workbench(client, users["rep1"]), "panel-target")

    assert re.search(r'id="target-completion">125.0%<', panel)
    assert bar(panel, "target-bar") == (Decimal("80000"), Decimal("80000"))
    # A target of no new customers: the count, no rate and no bar.
    assert "新增客户：2 / 0（—）" in text(panel)
    assert "target-customers-bar" not in panel


def test_who_sees_which_panel(client, users, this_month):
    rep2 = section(workbench(client, users["rep2"]), "panel-target")
    assert "本月未设定目标。" in rep2
    assert "设定目标" not in rep2.replace("本月未设定目标", "")
    # Managers take on deals too: without a target they get the note, and the
    # way to set targets.
    manager = workbench(client, users["manager"])
    assert section(manager, "panel-dashboard")
    assert reverse("reports:targets") in section(manager, "panel-target")
    for role in ("service", "success"):
        html = workbench(client, users[role])
        assert not section(html, "panel-dashboard")
        assert not section(html, "panel-target")
