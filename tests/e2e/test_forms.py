"""The customer form in a real Chromium: the error summary leads to each
field, amounts and phones are read as typed, one primary contact at a time."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Customer

from .conftest import ARTIFACTS
from .helpers import CUSTOMER_URL, login, submit_customer_form

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
SUMMARY = "[data-error-summary]"


def after_content(page, selector: str) -> str:
    """The generated content after an element's text (the red asterisk)."""
    return page.eval_on_selector(
        selector, "el => getComputedStyle(el, '::after').content"
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_summary_leads_to_each_error_and_the_fixed_form_saves(
    live_server, pages, page, users, size
):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server, "rep1")
    page.goto(f"{live_server.url}/customers/new/")

    # Given a form with three mistakes: no name, an amount in words, a bad phone
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page.fill("#id_historical_amount", "五十万")
    page.fill("#id_first_cooperation_date", tomorrow.isoformat())
    page.fill("#id_contacts-0-name", "王芳")
    page.fill("#id_contacts-0-phone", "12345")
    submit_customer_form(page)

    # Then the summary is at the top, focused, and counts them
    summary = page.locator(SUMMARY)
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.locator("h2")).to_have_text("有 4 处需要修改")
    links = summary.locator("a")
    expect(links).to_have_count(4)
    expect(links.nth(0)).to_have_text("客户名称：此项必填。")
    expect(links.nth(2)).to_contain_text("历史合作金额：请输入金额")
    expect(links.nth(3)).to_contain_text("联系人 1 · 联系方式")
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= height  # in the first screen
    pages.shot(page, f"summary-{size}")

    # Each link moves focus to its field, wherever on the page it is
    links.nth(3).click()
    expect(page.locator("#id_contacts-0-phone")).to_be_focused()
    assert page.locator("#id_contacts-0-phone").is_visible()
    phone_box = page.locator("#id_contacts-0-phone").bounding_box()
    assert 0 <= phone_box["y"] <= height - phone_box["height"]
    links.nth(0).click()
    expect(page.locator("#id_name")).to_be_focused()
    # and the keyboard gets there too: Tab from the summary reaches the first link
    summary.focus()
    page.keyboard.press("Tab")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_name")).to_be_focused()
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")

    # When the user fixes them the way they type
    page.fill("#id_name", "上海表单测试有限公司")
    page.fill("#id_historical_amount", "50万")
    page.fill("#id_first_cooperation_date", "")
    page.fill("#id_contacts-0-phone", "021-68888888转8001")
    pages.shot(page, f"fixed-{size}")
    submit_customer_form(page)

    # Then it saves, the amount and the phone as they are meant
    expect(page).to_have_url(CUSTOMER_URL)
    customer = Customer.objects.get(name="上海表单测试有限公司")
    assert customer.historical_amount == Decimal("500000.00")
    assert customer.contacts.get().phone == "021-68888888-8001"
    pages.assert_no_browser_errors()


@pytest.mark.parametrize("size", SIZES)
def test_one_primary_contact_at_a_time_and_new_rows_are_optional(
    live_server, pages, page, users, size
):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server, "rep1")
    page.goto(f"{live_server.url}/customers/new/")
    name_label = 'label[for="id_contacts-0-name"]'

    # The empty new row does not mark its name required...
    assert after_content(page, name_label) in ("none", "normal")
    # ...until something is typed in that row
    page.fill("#id_contacts-0-title", "采购经理")
    assert "*" in after_content(page, name_label)
    page.fill("#id_contacts-0-title", "")
    assert after_content(page, name_label) in ("none", "normal")

    # Ticking the primary box on a second contact unticks the first
    page.click('[data-add-form="contacts"]')
    page.fill("#id_contacts-0-name", "王芳")
    page.fill("#id_contacts-1-name", "李娜")
    page.check("#id_contacts-0-is_primary")
    page.check("#id_contacts-1-is_primary")
    expect(page.locator("#id_contacts-0-is_primary")).not_to_be_checked()
    expect(page.locator("#id_contacts-1-is_primary")).to_be_checked()
    page.check("#id_contacts-0-is_primary")
    expect(page.locator("#id_contacts-1-is_primary")).not_to_be_checked()
    pages.shot(page, f"contacts-{size}")

    # A third row added and left empty is ignored when saving
    page.click('[data-add-form="contacts"]')
    page.fill("#id_name", "主要联系人测试有限公司")
    submit_customer_form(page)
    expect(page).to_have_url(CUSTOMER_URL)
    customer = Customer.objects.get(name="主要联系人测试有限公司")
    assert [(c.name, c.is_primary) for c in customer.contacts.all()] == [
        ("王芳", True),
        ("李娜", False),
    ]
    pages.assert_no_browser_errors()


def test_without_javascript_two_primaries_are_refused_next_to_the_contacts(
    live_server, browser, users
):
    context = browser.new_context(
        java_script_enabled=False,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    try:
        login(page, live_server, "rep1")
        page.goto(f"{live_server.url}/customers/new/")
        page.fill("#id_name", "无脚本测试有限公司")
        page.fill("#id_contacts-0-name", "王芳")
        page.check("#id_contacts-0-is_primary")
        submit_customer_form(page)
        expect(page).to_have_url(CUSTOMER_URL)
        customer = Customer.objects.get(name="无脚本测试有限公司")
        page.goto(f"{live_server.url}/customers/{customer.customer_no}/edit/")
        page.fill("#id_contacts-1-name", "李娜")
        page.check("#id_contacts-1-is_primary")
        submit_customer_form(page)
        errors = page.locator("#contacts-errors")
        expect(errors).to_be_visible()
        expect(errors).to_contain_text("只能将一位联系人设为主要联系人")
        expect(page.locator(f'{SUMMARY} a[href="#contacts-errors"]')).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / "test_forms-no-js-two-primaries-phone.png"),
            full_page=True,
        )
    finally:
        context.close()
