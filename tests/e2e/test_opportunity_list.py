"""The opportunity list in a real Chromium: a rep filters by stage and a typed
amount (50万) and sees the totals of what is left; a bad amount is refused
next to its field; on a phone (390 px) the list and the workbench fit the
screen (no sideways scroll); the manager's forecast on list and workbench."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from opportunities.models import Opportunity, Stage
from tests.factories import make_customer, make_opportunity, make_users

from .helpers import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    horizontal_overflow,
    login,
    new_page,
    squeezed_text,
)

pytestmark = pytest.mark.e2e

URL = reverse("opportunities:opportunity_list")


def screenshot(page, name: str) -> None:
    """test-artifacts/<name>.png; caret="initial" injects no style attribute
    for a later htmx swap to copy (a CSP report)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial"
    )


def seed():
    users = make_users()
    today = timezone.localdate()
    a = make_customer(users["rep1"], name="深圳市前海微众智能制造科技股份有限公司")
    b = make_customer(users["rep1"], name="苏州工业园区测试科技有限公司")
    c = make_customer(users["rep2"], name="杭州二号网络有限公司")
    deals = [
        (
            users["rep1"],
            a,
            "ERP 全面升级与数据迁移项目",
            "860000.00",
            20,
            Stage.PROPOSAL,
        ),
        (users["rep1"], a, "年度运维续约", "120000.00", 45, Stage.NEGOTIATION),
        (users["rep1"], b, "智能报表模块", "560000.50", 70, Stage.LEAD),
        (users["rep1"], b, "移动端定制开发", "30000.00", None, Stage.ANALYSIS),
        (users["rep1"], b, "CRM 企业版采购", "1500000.00", 10, Stage.WON),
        (users["rep2"], c, "云迁移项目", "990000.00", 30, Stage.NEGOTIATION),
    ]
    made = {}
    for owner, customer, name, amount, days, stage in deals:
        made[name] = make_opportunity(
            owner,
            customer,
            name=name,
            amount=Decimal(amount),
            expected_close_date=None
            if days is None
            else today + datetime.timedelta(days=days),
            competitor="用友" if "ERP" in name else "",
            stage=stage,
        )
    # One deal has had no activity for 40 days: stalled.
    Opportunity.objects.filter(pk=made["年度运维续约"].pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=40)
    )
    return users, made


def test_a_rep_filters_the_list_and_sees_the_totals(live_server, pages):
    seed()
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "rep1")
    page.goto(live_server.url + URL)
    # rep1's five deals, not rep2's.
    expect(page.locator("#total-count")).to_have_text("5")
    expect(page.locator("tr.opp-row")).to_have_count(5)
    expect(page.locator("body")).not_to_contain_text("云迁移项目")
    expect(page.locator("tr.is-stalled .stalled-flag")).to_have_count(1)
    expect(page.locator("#forecast")).to_be_visible()
    assert squeezed_text(page) == []
    screenshot(page, "opportunity-list-1440")

    # Open deals of at least 50万: the ERP upgrade and the report module.
    page.select_option("#id_stage", "open")
    expect(page.locator("#total-count")).to_have_text("4")
    page.fill("#id_amount_min", "50万")
    page.locator("#id_amount_min").dispatch_event("change")
    expect(page.locator("#total-count")).to_have_text("2")
    expect(page.locator("#total-amount")).to_have_text("¥1,420,000.50")
    # 860000 × 40 % + 560000.50 × 10 % = 344000 + 56000.05
    expect(page.locator("#total-weighted")).to_have_text("¥400,000.05")
    assert "amount_min=50" in page.url and "stage=open" in page.url
    board = page.locator("#board-link").get_attribute("href")
    assert "stage=open" in board and "amount_min=" in board
    screenshot(page, "opportunity-list-filtered-1440")

    # A bad amount is refused next to its field, in Chinese.
    page.fill("#id_amount_min", "abc")
    page.locator("#id_amount_min").dispatch_event("change")
    expect(page.locator("#filter-error-amount_min")).to_contain_text("50万")
    expect(page.locator("#total-count")).to_have_text("0")
    pages.assert_no_browser_errors()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_list_and_workbench_fit_the_screen(live_server, pages, viewport):
    seed()
    size = viewport["width"]
    for username in ("rep1", "manager"):
        page = new_page(pages, viewport=viewport)
        login(page, live_server, username)
        expect(
            page.locator("#panel-opportunities, #panel-forecast").first
        ).to_be_visible()
        assert horizontal_overflow(page) == 0
        assert squeezed_text(page) == []
        screenshot(page, f"opportunity-workbench-{username}-{size}")
        page.goto(live_server.url + URL)
        expect(page.locator("#opp-totals")).to_be_visible()
        assert horizontal_overflow(page) == 0
        assert squeezed_text(page) == []
        screenshot(page, f"opportunity-list-{username}-{size}")
    pages.assert_no_browser_errors()
