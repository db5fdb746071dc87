"""The opportunity board in a real Chromium: rep1 drags a deal to the next
stage, moves another with the keyboard, and a refused move (a won deal with a
payment dragged back) puts the card back with the reason. Screenshots at 1440
and 390 px; on a phone the board scrolls sideways inside itself, never the
page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from opportunities import services
from opportunities.models import Opportunity, Stage, StageChange
from tests.factories import make_customer, make_opportunity

from .helpers import (
    DESKTOP,
    PHONE,
    horizontal_overflow,
    login,
    new_page,
    screenshot,
    squeezed_text,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def deals(users):
    rep1 = users["rep1"]
    customer = make_customer(
        rep1, name="苏州工业园区智能装备有限公司", success_manager=users["success"]
    )
    other = make_customer(rep1, name="南京紫金数据服务有限公司")
    today = timezone.localdate()
    proposal = make_opportunity(
        rep1,
        customer,
        stage=Stage.PROPOSAL,
        name="MES 系统二期实施",
        amount=Decimal("860000.00"),
        expected_close_date=today + datetime.timedelta(days=20),
        competitor="用友",
    )
    analysis = make_opportunity(
        rep1,
        other,
        stage=Stage.ANALYSIS,
        name="数据中台咨询",
        amount=Decimal("320000.00"),
        expected_close_date=today + datetime.timedelta(days=45),
    )
    won = make_opportunity(
        rep1,
        customer,
        stage=Stage.WON,
        name="年度运维服务合同",
        amount=Decimal("150000.00"),
    )
    services.payment_add(
        actor=rep1,
        opportunity=won,
        data={"amount": Decimal("50000.00"), "received_on": today},
    )
    stalled = make_opportunity(
        rep1,
        other,
        stage=Stage.LEAD,
        name="仓储机器人试点（长期未跟进的线索，名称很长）",
        amount=Decimal("1280000.00"),
    )
    Opportunity.objects.filter(pk=stalled.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=45)
    )
    for i, stage in enumerate(
        [Stage.LEAD, Stage.NEGOTIATION, Stage.AFTER_SALES, Stage.ANALYSIS]
    ):
        make_opportunity(
            rep1,
            customer if i % 2 else other,
            stage=stage,
            name=f"示例机会{i + 1}",
            amount=Decimal(10000 * (i + 1)),
            expected_close_date=today + datetime.timedelta(days=10 * i),
        )
    return {"proposal": proposal, "analysis": analysis, "won": won}


def open_board(page, live_server):
    page.goto(live_server.url + reverse("opportunities:opportunity_board"))
    expect(page.locator("#board.is-enhanced")).to_be_attached()


def card(page, stage: str, deal):
    return page.locator(f"#board-col-{stage} #card-{deal.opp_no}")


def test_rep_drags_a_card_to_the_next_stage(live_server, pages, users, deals):
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "rep1")
    open_board(page, live_server)
    deal = deals["proposal"]
    expect(page.locator("#board-head-negotiation [data-count]")).to_have_attribute(
        "data-count", "1"
    )

    card(page, "proposal", deal).drag_to(
        page.locator("#board-col-negotiation .board-cards")
    )

    moved = page.locator(f"#card-{deal.opp_no}")
    expect(moved).to_have_attribute("data-stage", "negotiation")
    expect(moved).to_have_attribute("data-version", "2")
    expect(card(page, "negotiation", deal)).to_be_visible()
    expect(page.locator("#board-head-negotiation [data-count]")).to_have_attribute(
        "data-count", "2"
    )
    expect(page.locator("#board-head-proposal [data-count]")).to_have_attribute(
        "data-count", "0"
    )
    expect(page.locator("#board-status")).to_contain_text("MES 系统二期实施")
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION
    change = StageChange.objects.filter(opportunity=deal).last()
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        Stage.PROPOSAL,
        Stage.NEGOTIATION,
        users["rep1"],
    )
    pages.shot(page, "dragged")
    pages.assert_no_browser_errors()


def test_rep_moves_a_card_with_the_keyboard(live_server, pages, users, deals):
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "rep1")
    open_board(page, live_server)
    deal = deals["analysis"]

    card(page, "analysis", deal).focus()
    page.keyboard.press("ArrowRight")

    moved = card(page, "proposal", deal)
    expect(moved).to_have_attribute("data-version", "2")
    expect(moved).to_be_focused()
    expect(page.locator("#board-status")).to_contain_text("数据中台咨询")
    deal.refresh_from_db()
    assert deal.stage == Stage.PROPOSAL

    # And back again, still from the keyboard, focus kept
    page.keyboard.press("ArrowLeft")
    expect(card(page, "analysis", deal)).to_have_attribute("data-version", "3")
    expect(card(page, "analysis", deal)).to_be_focused()
    deal.refresh_from_db()
    assert deal.stage == Stage.ANALYSIS
    assert StageChange.objects.filter(opportunity=deal).count() == 3
    pages.assert_no_browser_errors()


def test_a_refused_move_puts_the_card_back_with_the_reason(
    live_server, pages, users, deals
):
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "rep1")
    open_board(page, live_server)
    deal = deals["won"]

    card(page, "won", deal).drag_to(page.locator("#board-col-negotiation .board-cards"))

    status = page.locator("#board-status")
    expect(status).to_have_class("board-status is-error")
    expect(status).to_contain_text("回款")
    expect(card(page, "won", deal)).to_be_visible()
    expect(page.locator(f"#board-col-negotiation #card-{deal.opp_no}")).to_have_count(0)
    expect(page.locator("#board-head-won [data-count]")).to_have_attribute(
        "data-count", "1"
    )
    deal.refresh_from_db()
    assert deal.stage == Stage.WON and deal.version == 2
    pages.shot(page, "refused")
    pages.assert_no_browser_errors()


def test_the_move_form_works_without_javascript(live_server, pages, users, deals):
    page = new_page(pages, viewport=PHONE, java_script_enabled=False)
    login(page, live_server, "rep1")
    page.goto(live_server.url + reverse("opportunities:opportunity_board"))
    deal = deals["proposal"]
    form = page.locator(f"#card-{deal.opp_no} form[data-move-form]")
    form.locator("select").select_option("negotiation")
    with page.expect_navigation():
        form.locator("button").click()
    assert page.url.endswith(reverse("opportunities:opportunity_board"))
    expect(page.locator(".message-success")).to_contain_text("MES 系统二期实施")
    expect(card(page, "negotiation", deal)).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION


def test_customer_success_sees_cards_they_cannot_move(live_server, pages, deals):
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "success")
    open_board(page, live_server)
    deal = deals["proposal"]
    shown = card(page, "proposal", deal)
    expect(shown).to_be_visible()
    expect(shown).not_to_have_attribute("draggable", "true")
    expect(shown.locator("form")).to_have_count(0)
    shown.focus()
    page.keyboard.press("ArrowRight")
    expect(card(page, "proposal", deal)).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == Stage.PROPOSAL
    pages.assert_no_browser_errors()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_board_screenshots(live_server, pages, users, deals, viewport):
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "rep1")
    open_board(page, live_server)
    expect(page.locator(".board-card.is-stalled")).to_have_count(1)
    width = viewport["width"]
    screenshot(page, f"opportunity-board-{width}")
    assert horizontal_overflow(page) == 0
    assert squeezed_text(page) == []
    if viewport is PHONE:
        # The columns scroll inside the board; one is about the window's width
        board = page.locator("#board")
        assert board.evaluate("b => b.scrollWidth > b.clientWidth")
        col = page.locator("#board-col-lead").bounding_box()
        assert 280 <= col["width"] <= 390
        board.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
        screenshot(page, f"opportunity-board-{width}-scrolled", full_page=False)
    else:
        # All six stages side by side at 1440 px, no scrolling needed
        board = page.locator("#board")
        assert board.evaluate("b => b.scrollWidth <= b.clientWidth")
    pages.assert_no_browser_errors()


def test_a_long_column_loads_more_and_never_shows_a_card_twice(
    live_server, pages, users
):
    rep1 = users["rep1"]
    customer = make_customer(rep1, name="杭州长列测试有限公司")
    today = timezone.localdate()
    for i in range(25):
        make_opportunity(
            rep1,
            customer,
            stage=Stage.NEGOTIATION,
            name=f"谈判中{i + 1:02d}",
            expected_close_date=today + datetime.timedelta(days=i + 1),
        )
    late = make_opportunity(
        rep1,
        customer,
        stage=Stage.PROPOSAL,
        name="最晚成交的方案",
        expected_close_date=today + datetime.timedelta(days=300),
    )
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "rep1")
    open_board(page, live_server)
    column = page.locator("#board-col-negotiation [data-card]")
    expect(column).to_have_count(20)

    # Moved in, it sorts after the 20 loaded cards: it waits above "load more"
    card(page, "proposal", late).drag_to(page.locator("#board-head-negotiation"))
    expect(card(page, "negotiation", late)).to_have_attribute("data-version", "2")
    expect(page.locator("#board-head-negotiation [data-count]")).to_have_attribute(
        "data-count", "26"
    )

    # The rest of the column loads when its end is scrolled to; the moved
    # card, which that page holds too, is there once, where the server sorts it
    more = page.locator("#board-col-negotiation .board-more")
    expect(more).to_have_count(1)
    more.scroll_into_view_if_needed()
    expect(more).to_have_count(0)
    expect(column).to_have_count(26)
    expect(page.locator(f"[id='card-{late.opp_no}']")).to_have_count(1)
    names = column.locator(".board-card-name").all_text_contents()
    assert names[:25] == [f"谈判中{i + 1:02d}" for i in range(25)]
    assert names[25] == "最晚成交的方案"
    pages.assert_no_browser_errors()
