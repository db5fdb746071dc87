"""Notifications in Chromium: a colleague shares a customer, the bell counts it,
the list opens it, the count drops; at a desktop width and on a phone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from notifications.models import Notification
from tests.factories import make_customer

from .helpers import (
    DESKTOP,
    PHONE,
    horizontal_overflow,
    in_first_screen,
    login,
    new_page,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_a_shared_customer_reaches_the_bell_and_opens_from_the_list(
    live_server, pages, users, viewport
):
    customer = make_customer(users["rep2"], name="杭州西湖<b>数据</b>科技有限公司")

    # Given rep2 shares the customer with rep1 through the share form
    sharer = pages.new()
    login(sharer, live_server, "rep2")
    sharer.goto(
        live_server.url
        + reverse("customers:customer_share", args=[customer.customer_no])
    )
    sharer.select_option("#id_user", value=str(users["rep1"].pk))
    with sharer.expect_navigation():
        sharer.click("form.form .form-actions button[type=submit]")
    assert Notification.objects.filter(recipient=users["rep1"]).count() == 1

    # When rep1 loads any page
    page = pages.new()
    page.set_viewport_size(viewport)
    login(page, live_server, "rep1")
    bell = page.locator("a.bell")
    badge = page.locator("#badge-notifications")
    # Then the bell shows one unread, in the top bar, without opening the menu
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    assert in_first_screen(bell)
    pages.shot(page, f"bell-{viewport['width']}")

    # When rep1 opens the list
    with page.expect_navigation():
        bell.click()
    assert page.url.endswith("/notifications/")
    item = page.locator("li.notice.is-unread")
    expect(item).to_have_count(1)
    # (the customer's name is shown as text, its markup escaped)
    expect(item.locator(".notice-text")).to_contain_text(
        "杭州西湖<b>数据</b>科技有限公司"
    )
    assert horizontal_overflow(page) == 0
    pages.shot(page, f"list-{viewport['width']}")

    # And clicks the notification
    with page.expect_navigation():
        item.locator("button.notice-link").click()

    # Then rep1 lands on the customer, and the count is gone
    assert page.url.endswith(customer.get_absolute_url())
    expect(page.locator("h1").first).to_contain_text("杭州西湖<b>数据</b>科技有限公司")
    expect(badge).to_be_hidden()
    page.wait_for_load_state("networkidle")
    expect(badge).to_be_hidden()
    assert Notification.objects.get(recipient=users["rep1"]).read_at is not None
    pages.shot(page, f"landed-{viewport['width']}")

    # And the list shows it read; "mark all read" is gone with nothing unread
    page.goto(live_server.url + "/notifications/")
    expect(page.locator("li.notice.is-unread")).to_have_count(0)
    expect(page.locator("li.notice")).to_have_count(1)
    pages.assert_no_browser_errors()


def test_mark_one_read_without_leaving_the_list(live_server, pages, users):
    from notifications.services import notify

    for ticket in ("S20261129001", "S20261129002"):
        notify(
            recipients=[users["rep1"]],
            kind="ticket_assigned",
            actor=users["service"],
            url="/notifications/",
            params={"ticket_no": ticket},
        )
    page = pages.new()
    page.set_viewport_size(PHONE)
    login(page, live_server, "rep1")
    page.goto(live_server.url + "/notifications/")
    expect(page.locator("#badge-notifications")).to_have_text("2")
    unread = page.locator("li.notice.is-unread")
    expect(unread).to_have_count(2)
    # htmx swaps the item in place (the page does not reload)
    page.evaluate("window.__stay = 1")
    unread.first.locator(".notice-read button").click()
    expect(unread).to_have_count(1)
    assert page.evaluate("window.__stay") == 1
    # and the bell and the tab follow
    expect(page.locator("#badge-notifications")).to_have_text("1")
    expect(page.locator("#unread-tab-count")).to_have_text("1")
    pages.shot(page, "one-read")
    # "Mark all as read" clears the rest
    with page.expect_navigation():
        page.locator("form[action$='/read-all/'] button").click()
    expect(page.locator("li.notice.is-unread")).to_have_count(0)
    expect(page.locator("#badge-notifications")).to_be_hidden()
    pages.assert_no_browser_errors()


def test_without_javascript_the_bell_and_the_list_still_work(live_server, pages, users):
    from notifications.services import notify

    customer = make_customer(users["rep2"], name="无脚本测试有限公司")
    notify(
        recipients=[users["rep1"]],
        kind="customer_shared",
        actor=users["rep2"],
        target=customer,
        params={"customer": customer.name},
    )
    page = new_page(pages, viewport=PHONE, java_script_enabled=False)
    login(page, live_server, "rep1")
    # No count without JS, but the bell is there and leads to the list
    expect(page.locator("#badge-notifications")).to_be_hidden()
    with page.expect_navigation():
        page.locator("a.bell").click()
    with page.expect_navigation():
        page.locator("li.notice.is-unread button.notice-link").click()
    assert page.url.endswith(customer.get_absolute_url())
    assert Notification.objects.get(recipient=users["rep1"]).read_at is not None
    pages.assert_no_browser_errors()
