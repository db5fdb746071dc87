"""A deal from the customer's page to the money, in a real Chromium at 1440
and 390 px: rep1 creates it from the customer's card, wins it from its page
(the customer's historical amount grows), records a partial payment (the
collection rate shows; one over the amount is refused next to the field); the
manager cannot revert the win while a payment exists, deletes the payment,
reverts the win, and the customer's amount, first cooperation date and status
are exactly as before."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from opportunities.models import Opportunity, Payment

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

DEAL_URL = re.compile(r"/opportunities/(O\d{11,})/$")


def customer_fact(page, label: str):
    """The customer page's value beside `label` (basic information)."""
    return page.locator("dl.props dt", has_text=label).locator(
        "xpath=following-sibling::dd[1]"
    )


def click_and_wait(page, selector: str):
    with page.expect_navigation():
        page.click(selector)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_a_deal_is_won_paid_and_reverted(
    live_server, pages, users, rep1_customer, viewport
):
    width = viewport["width"]
    before = Customer.objects.get(pk=rep1_customer.pk)
    assert before.first_cooperation_date is None
    page = new_page(pages, viewport=viewport)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, live_server, "rep1")

    # From the customer's card: a new deal on this customer.
    page.goto(live_server.url + rep1_customer.get_absolute_url())
    click_and_wait(page, "#new-opportunity")
    expect(page.locator("#opportunity-form-customer")).to_contain_text(
        rep1_customer.name
    )
    expect(page.locator("#id_owner")).to_have_count(0)
    page.fill("#id_name", "ERP 系统升级")
    page.fill("#id_amount", "abc")
    page.select_option("#id_stage", "negotiation")
    page.fill("#id_competitor", "金蝶")
    click_and_wait(page, "#save-opportunity")
    expect(page.locator("#id_amount_error")).to_be_visible()
    assert horizontal_overflow(page) == 0
    screenshot(page, f"opportunity-form-{width}")
    page.fill("#id_amount", "10万")
    click_and_wait(page, "#save-opportunity")
    expect(page).to_have_url(DEAL_URL)
    deal = Opportunity.objects.get(opp_no=DEAL_URL.search(page.url).group(1))
    expect(page.locator("#opportunity-amount")).to_have_text("¥100,000.00")
    expect(page.locator("#opportunity-stage")).to_have_text("合同谈判")

    # Win it from its page: the customer's historical amount grows.
    expect(page.locator("#win-deal")).to_have_text("标记成交")
    click_and_wait(page, "#win-deal")
    expect(page.locator("#opportunity-stage")).to_have_text("成交")
    expect(page.locator("#opportunity-won-at")).to_be_visible()
    page.goto(live_server.url + rep1_customer.get_absolute_url())
    expect(customer_fact(page, "历史合作金额")).to_have_text(
        f"¥{before.historical_amount + 100000:,.2f}"
    )
    expect(page.locator(".page-head .status-active")).to_be_visible()

    # A partial payment: the collection rate shows.
    page.goto(live_server.url + deal.get_absolute_url())
    page.fill("#payment-amount", "3万")
    page.fill("#payment-note", "首付款 <b>30%</b>")
    click_and_wait(page, "#payment-submit")
    expect(page.locator("#collection-rate")).to_have_text("30.0%")
    expect(page.locator("#payments-outstanding")).to_have_text("¥70,000.00")
    expect(page.locator(".payment-row")).to_contain_text("首付款 <b>30%</b>")
    # Over the amount: refused next to the field, the typed value kept.
    page.fill("#payment-amount", "80000")
    click_and_wait(page, "#payment-submit")
    error = page.locator("#payment-form .field.has-error .error")
    expect(error).to_contain_text("¥70,000.00")
    expect(page.locator("#payment-amount")).to_have_value("80000")
    assert Payment.objects.filter(opportunity=deal).count() == 1
    assert horizontal_overflow(page) == 0
    assert squeezed_text(page) == []
    screenshot(page, f"opportunity-detail-won-{width}")
    pages.shot(page, "won-with-payment")

    # The manager reverts the win: refused while the payment exists…
    manager = new_page(pages, viewport=viewport)
    manager.on("dialog", lambda dialog: dialog.accept())
    login(manager, live_server, "manager")
    manager.goto(live_server.url + deal.get_absolute_url())
    click_and_wait(manager, "#revert-win")
    expect(manager.locator(".message-error")).to_be_visible()
    expect(manager.locator("#opportunity-stage")).to_have_text("成交")
    # …so the payment goes first, then the win.
    click_and_wait(manager, "[data-delete-payment]")
    expect(manager.locator(".payment-row")).to_have_count(0)
    expect(manager.locator("#collection-rate")).to_have_text("0.0%")
    click_and_wait(manager, "#revert-win")
    expect(manager.locator("#opportunity-stage")).to_have_text("合同谈判")
    expect(manager.locator("#win-deal")).to_be_visible()
    rows = manager.locator("#stage-history .stage-row")
    expect(rows).to_have_count(3)
    assert horizontal_overflow(manager) == 0
    assert squeezed_text(manager) == []
    screenshot(manager, f"opportunity-detail-open-{width}")

    # The customer is exactly as before the win.
    after = Customer.objects.get(pk=rep1_customer.pk)
    assert (after.historical_amount, after.first_cooperation_date, after.status) == (
        before.historical_amount,
        before.first_cooperation_date,
        before.status,
    )
    manager.goto(live_server.url + rep1_customer.get_absolute_url())
    expect(customer_fact(manager, "历史合作金额")).to_have_text(
        f"¥{before.historical_amount:,.2f}"
    )
    expect(customer_fact(manager, "首次合作时间")).to_have_text("—")
    pages.assert_no_browser_errors()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_a_deal_is_lost_with_a_reason_and_reopened(
    live_server, pages, users, rep1_customer, viewport
):
    from tests.factories import make_opportunity

    deal = make_opportunity(
        users["rep1"], rep1_customer, name="年度运维续约", stage="proposal"
    )
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "rep1")
    page.goto(live_server.url + deal.get_absolute_url())
    page.click("#lose-toggle")
    click_and_wait(page, "#lose-submit")
    expect(page.locator("#lose .field.has-error .error")).to_be_visible()
    page.fill("#lose-lost_reason", "客户预算削减，项目延期到明年")
    click_and_wait(page, "#lose-submit")
    expect(page.locator("#opportunity-stage")).to_have_text("输单")
    expect(page.locator("#opportunity-lost-stage")).to_have_text("方案报价")
    expect(page.locator("#opportunity-lost-reason")).to_have_text(
        "客户预算削减，项目延期到明年"
    )
    assert horizontal_overflow(page) == 0
    assert squeezed_text(page) == []
    screenshot(page, f"opportunity-detail-lost-{viewport['width']}")
    click_and_wait(page, "#reopen-deal")
    expect(page.locator("#opportunity-stage")).to_have_text("方案报价")
    pages.assert_no_browser_errors()
