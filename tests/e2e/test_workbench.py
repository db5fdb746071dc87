"""Each role's workbench, and the customer sub-pages opened directly, in Chromium
at a desktop width and on a phone."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers import services
from customers.models import Customer
from tests.factories import make_customer

from .helpers import login

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
PANELS = {
    "admin": ["#panel-team", "#panel-team-owners", "#panel-team-renewals"],
    "manager": ["#panel-team", "#panel-team-owners", "#panel-team-renewals"],
    "rep1": ["#panel-mine", "#panel-renewals"],
    "success": ["#panel-managed", "#panel-renewals"],
    "service": ["#panel-lookup"],
}
ABSENT = ["#panel-team", "#panel-mine", "#panel-managed", "#panel-lookup"]


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.fixture
def customers(users):
    soon = timezone.localdate() + datetime.timedelta(days=12)
    make_customer(
        users["rep1"],
        name="上海浦东新区远景智能制造股份有限公司",
        status=Customer.Status.ACTIVE,
        success_manager=users["success"],
        renewal_date=soon,
    )
    make_customer(users["rep1"], name="杭州西湖数据科技有限公司")
    make_customer(users["rep2"], name="北京海淀云服务有限公司", status="lost")
    return users


@pytest.mark.parametrize("role", sorted(PANELS))
def test_each_role_has_a_workbench_that_fits_both_screens(
    live_server, pages, page, customers, role
):
    login(page, live_server, role)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/")
        for selector in PANELS[role]:
            expect(page.locator(selector)).to_be_visible()
        for selector in ABSENT:
            if selector not in PANELS[role]:
                expect(page.locator(selector)).to_have_count(0)
        # The date at the top, once, in the reader's format.
        expect(page.locator(".workbench-date time")).to_have_count(1)
        assert no_sideways_scroll(page), f"{role} workbench scrolls sideways ({size})"
        pages.shot(page, f"{role}-{size}")
    pages.assert_no_browser_errors()


def test_team_figures_link_to_the_filtered_list(live_server, pages, page, customers):
    login(page, live_server, "manager")
    stat = page.locator("#panel-team a.stat").first
    expect(stat.locator(".stat-value")).to_have_text("1")
    with page.expect_navigation():
        stat.click()
    assert page.url.endswith("/customers/?status=potential")
    pages.assert_no_browser_errors()


def test_service_finds_a_customer_from_the_workbench(
    live_server, pages, page, customers
):
    login(page, live_server, "service")
    page.fill("#lookup-q", "西湖数据")
    with page.expect_navigation():
        page.press("#lookup-q", "Enter")
    assert "q=" in page.url
    expect(page.get_by_role("link", name="杭州西湖数据科技有限公司")).to_be_visible()
    pages.assert_no_browser_errors()


def test_share_page_opened_directly_names_the_customer_and_leads_back(
    live_server, pages, page, customers
):
    customer = Customer.objects.get(name="杭州西湖数据科技有限公司")
    login(page, live_server, "rep1")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}{customer.get_absolute_url()}share/")
        crumbs = page.locator("nav.breadcrumb")
        expect(crumbs.get_by_role("link", name="客户")).to_have_attribute(
            "href", "/customers/"
        )
        expect(crumbs.get_by_role("link", name=customer.name)).to_have_attribute(
            "href", customer.get_absolute_url()
        )
        expect(page.locator("h1")).to_contain_text(customer.name)
        assert no_sideways_scroll(page), f"share page scrolls sideways ({size})"
        pages.shot(page, f"share-{size}")
    with page.expect_navigation():
        page.get_by_role("link", name="取消").click()
    assert page.url.endswith(customer.get_absolute_url())
    pages.assert_no_browser_errors()


CUT_TEXT = """() => [...document.querySelectorAll('main *')].filter(e => {
  const style = getComputedStyle(e);
  // A deliberately shortened value carries its whole text in a title.
  return e.children.length === 0 && e.textContent.trim()
    && !e.closest('[title], .visually-hidden') && (
    (style.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth)
    || (style.overflow === 'hidden' && e.scrollHeight > e.clientHeight + 1)
  );
}).map(e => e.textContent.trim())"""


# How far a list table scrolls sideways inside its box (0: every column shows).
LIST_CUT = """() => Math.max(0, ...[...document.querySelectorAll('.list-table-wrap')]
    .map(el => el.scrollWidth - el.clientWidth))"""


def test_customer_pages_in_english_show_whole_labels(
    live_server, pages, page, customers
):
    customer = Customer.objects.get(name="上海浦东新区远景智能制造股份有限公司")
    url = customer.get_absolute_url()
    services.customer_delete(
        actor=customers["rep2"],
        customer=Customer.objects.get(name="北京海淀云服务有限公司"),
    )
    login(page, live_server, "admin")
    # The select submits itself: wait for that post to land before moving on.
    with page.expect_navigation():
        page.select_option("#lang", "en")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in [
            ("list", "/customers/"),
            ("new", "/customers/new/"),
            ("edit", url + "edit/"),
            ("detail", url),
            ("share", url + "share/"),
            ("delete", url + "delete/"),
            ("trash", "/customers/trash/"),
        ]:
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            assert page.evaluate(CUT_TEXT) == [], f"{name} ({size}) cuts text"
            assert no_sideways_scroll(page), f"{name} scrolls sideways ({size})"
            if size == "desktop":
                assert page.evaluate(LIST_CUT) == 0, f"{name} list is cut ({size})"
            pages.shot(page, f"en-{name}-{size}")
    pages.assert_no_browser_errors()
