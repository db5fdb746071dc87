"""The layout at phone size (390x844) and on a laptop (1440x900).

On a phone every main page must fit the width (no sideways scrolling of the
page), never wrap text one character per line, and show its primary action
without scrolling; the navigation folds into a menu that opens and closes by
click, by keyboard and without JavaScript. At 1440 px the sidebar stays.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, reverse
from django.views.decorators.http import require_GET
from playwright.sync_api import expect

from customers import services
from customers.models import Customer
from tests import factories

from .helpers import (
    DESKTOP,
    PHONE,
    horizontal_overflow,
    in_first_screen,
    login,
    new_page,
    screenshot,
    showcase_customer,
    squeezed_text,
)

pytestmark = pytest.mark.e2e

SAVE = "form.form .form-actions button[type=submit]"
MENU_BUTTON = "button[data-nav-toggle]"
NAV = "#main-nav"


@dataclass(frozen=True)
class Data:
    customer: Customer
    trashed: Customer


@dataclass(frozen=True)
class PhonePage:
    name: str
    url: Callable[[Data], str]
    # Selector of the page's primary action; {no} stands for the trashed
    # customer's number.
    primary: str


def on(name: str) -> Callable[[Data], str]:
    return lambda data: reverse(name, args=[data.customer.customer_no])


PHONE_PAGES = [
    # The workbench has no single action: the way on is the menu.
    PhonePage("workbench", lambda d: reverse("crm:workbench"), MENU_BUTTON),
    PhonePage(
        "customer-list",
        lambda d: reverse("customers:customer_list"),
        '.content a[href="/customers/new/"]',
    ),
    PhonePage(
        "customer-detail",
        lambda d: d.customer.get_absolute_url(),
        '.page-head a[href$="/edit/"]',
    ),
    PhonePage("customer-new", lambda d: reverse("customers:customer_create"), SAVE),
    PhonePage("customer-edit", on("customers:customer_update"), SAVE),
    PhonePage("customer-share", on("customers:customer_share"), SAVE),
    PhonePage(
        "trash",
        lambda d: reverse("customers:customer_trash"),
        'td.row-actions form[action$="/{no}/restore/"] button',
    ),
]


@pytest.fixture
def data(users) -> Data:
    customer = showcase_customer(users)
    for _ in range(3):
        factories.make_customer(users["rep1"], contacts=[factories.contact()])
    trashed = factories.make_customer(users["rep1"], name="回收站里的测试有限公司")
    services.customer_delete(actor=users["admin"], customer=trashed)
    return Data(customer=customer, trashed=trashed)


def phone_problems(page, primary: str) -> list[str]:
    """What is wrong with the open page at phone size."""
    problems = []
    if extra := horizontal_overflow(page):
        problems.append(f"the page is {extra} px wider than the phone")
    problems += squeezed_text(page)
    action = page.locator(primary).first
    if not action.count():
        problems.append(f"no primary action {primary}")
    elif not in_first_screen(action):
        problems.append(f"primary action {primary} not visible without scrolling")
    return problems


def test_main_pages_fit_a_phone(live_server, pages, data):
    page = new_page(pages, viewport=PHONE)
    response = page.goto(f"{live_server.url}{reverse('login')}")
    assert response.status == 200
    screenshot(page, "phone-login", full_page=False)
    found = {"login": phone_problems(page, ".login-card button[type=submit]")}

    login(page, live_server, "admin")
    for phone_page in PHONE_PAGES:
        url = phone_page.url(data)
        primary = phone_page.primary.replace("{no}", data.trashed.customer_no)
        response = page.goto(live_server.url + url)
        assert response.status == 200, phone_page.name
        screenshot(page, f"phone-{phone_page.name}", full_page=False)
        found[phone_page.name] = phone_problems(page, primary)

    problems = {name: found for name, found in found.items() if found}
    assert problems == {}
    pages.assert_no_browser_errors()


def test_the_squeezed_text_check_catches_per_character_wrapping(
    live_server, pages, users
):
    page = new_page(pages, viewport=PHONE)
    # A fixture page (no CSP on about:blank, so inline styles are fine here).
    page.set_content(
        """<html><body style="font-size: 14px">
        <div id="squeezed" style="width: 14px">工作台</div>
        <div id="two-a-line" style="width: 30px">客户名称</div>
        <p id="paragraph" style="width: 200px">客户成功经理负责续约，
          续约日期前六十天会出现在工作台上，请及时跟进并记录结果。</p>
        <span class="tag" style="display: inline-block; width: 28px">主要联系人</span>
        <span class="badge" style="display: inline-block; width: 45px">主要联系人</span>
        <span class="visually-hidden" style="position: absolute; width: 1px;
          overflow: hidden; clip: rect(0 0 0 0)">语言选择</span>
        <div style="width: 14px">A B</div>
        </body></html>"""
    )
    problems = squeezed_text(page)
    assert len(problems) == 4, problems
    assert problems[0].startswith('div#squeezed "工作台": 3 lines')
    assert problems[1].startswith('div#two-a-line "客户名称": 2 lines')
    assert problems[2].startswith('span.tag "主要联系人": 3 lines')
    # Three characters a line is not "per character", but a badge must not break.
    assert problems[3] == 'span.badge "主要联系人": broken over 2 lines'

    # On a real page: none, until the title is squeezed into one character's width.
    login(page, live_server, "rep1")
    assert squeezed_text(page) == []
    page.locator(".topbar-title").evaluate(
        "el => { el.style.whiteSpace = 'normal'; el.style.flex = '0 0 14px'; }"
    )
    assert squeezed_text(page) == [
        'div.topbar-title "工作台": 3 lines, at most 1.0 em wide'
    ]


def test_the_menu_opens_and_closes_by_click_and_by_keyboard(live_server, pages, users):
    page = new_page(pages, viewport=PHONE)
    login(page, live_server, "rep1")
    button = page.locator(MENU_BUTTON)
    nav = page.locator(NAV)
    customers_link = nav.get_by_role("link", name="客户", exact=True)
    # Closed: only the bar with the brand and the button; the user's name,
    # language and log-out are in the menu, the page title on one line below.
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "main-nav")
    expect(page.locator("[data-nav-link]")).to_be_hidden()
    expect(nav).to_be_hidden()
    expect(page.locator(".topbar-user")).to_be_hidden()
    expect(page.locator(".topbar-title")).to_be_visible()

    # By click: opens over the page, below the bar; a second click closes it.
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(customers_link).to_be_visible()
    expect(nav.locator(".nav-user button[type=submit]")).to_be_visible()
    expect(nav.locator("#lang-menu")).to_be_visible()
    bar = page.locator(".sidebar-bar").bounding_box()
    assert nav.bounding_box()["y"] >= bar["y"] + bar["height"] - 1
    assert in_first_screen(customers_link)
    pages.shot(page, "menu-open")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    # A click outside the menu closes it too.
    button.click()
    expect(nav).to_be_visible()
    page.mouse.click(PHONE["width"] // 2, PHONE["height"] - 10)
    expect(nav).to_be_hidden()

    # By keyboard: Enter opens, Tab goes into the menu, Escape closes and
    # gives the focus back to the button; Space toggles.
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#main-nav') !== null")
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Space")
    expect(nav).to_be_visible()
    page.keyboard.press("Space")
    expect(nav).to_be_hidden()

    # A menu entry leads to its page.
    button.click()
    with page.expect_navigation():
        customers_link.click()
    assert page.url.endswith("/customers/")
    pages.assert_no_browser_errors()


def test_the_menu_works_without_javascript(live_server, pages, users):
    page = new_page(pages, viewport=PHONE, java_script_enabled=False)
    login(page, live_server, "rep1")
    nav = page.locator(NAV)
    link = page.locator("a[data-nav-link]")
    expect(page.locator(MENU_BUTTON)).to_be_hidden()
    expect(nav).to_be_hidden()
    link.click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="客户", exact=True)).to_be_visible()
    pages.shot(page, "menu-open-without-js")
    nav.locator(".menu-close").click()
    expect(nav).to_be_hidden()


def test_wide_screens_keep_the_sidebar(live_server, pages, users):
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "admin")
    nav = page.locator(NAV)
    expect(nav).to_be_visible()
    expect(page.locator(".sidebar")).to_have_css("width", "200px")
    expect(page.locator(".menu-toggle")).to_have_count(2)
    expect(page.locator(".menu-toggle:visible")).to_have_count(0)
    expect(page.locator(".topbar-user #lang")).to_be_visible()
    expect(nav.locator(".nav-user")).to_be_hidden()
    # The Django admin is not linked from the app (settings live in the app).
    expect(page.locator('a[href^="/admin/"]')).to_have_count(0)
    # Going down a long page, the sidebar stays in view.
    page.goto(f"{live_server.url}/customers/new/")
    page.mouse.wheel(0, 2000)
    expect(nav.get_by_role("link", name="客户", exact=True)).to_be_in_viewport()
    pages.assert_no_browser_errors()


# A page that fails, to see the 500 page through the whole stack.
@login_not_required
@require_GET
def failing_view(request):
    raise RuntimeError("boom: the 500 page must not show this")


urlpatterns = [path("failing/", failing_view), path("", include("crm.urls"))]


@pytest.mark.urls(__name__)
def test_the_server_error_page_on_a_phone(live_server, pages):
    page = new_page(pages, viewport=PHONE)
    response = page.goto(f"{live_server.url}/failing/")
    assert response.status == 500
    expect(page.locator("h1")).to_contain_text("服务器出错了")
    expect(page.locator("body")).not_to_contain_text("boom")
    expect(page.locator("body")).not_to_contain_text("Traceback")
    # The app's stylesheet applies (its background colour), and the page fits.
    expect(page.locator("html")).to_have_css("background-color", "rgb(244, 246, 250)")
    assert horizontal_overflow(page) == 0
    assert squeezed_text(page) == []
    screenshot(page, "phone-500", full_page=False)
    pages.assert_no_browser_errors()


MENU_DOT = """() => getComputedStyle(
    document.querySelector('button[data-nav-toggle]'), '::after').content"""


def test_the_closed_menu_shows_a_dot_when_a_count_waits_inside(
    live_server, pages, users
):
    import datetime

    from django.utils import timezone

    page = new_page(pages, viewport=PHONE)
    login(page, live_server, "rep1")
    # Nothing waiting: no dot on the menu button.
    expect(page.locator("#badge-notifications")).to_be_hidden()
    assert page.evaluate(MENU_DOT) == "none"

    # An overdue plan (counted whatever the hour): the agenda's count fills in
    # after the page loads.
    customer = factories.make_customer(users["rep1"], name="圆点提示测试有限公司")
    factories.make_followup(
        users["rep1"],
        customer,
        next_at=timezone.now() - datetime.timedelta(hours=1),
        next_owner=users["rep1"],
        next_goal="回访",
    )
    page.reload()
    expect(page.locator("#main-nav .count-badge:not([hidden])")).to_have_count(1)
    assert page.evaluate(MENU_DOT) == '""'
    pages.shot(page, "menu-dot")
    pages.assert_no_browser_errors()
