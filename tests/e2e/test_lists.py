"""The customer list as a work tool: columns, saved views, Back, a phone."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from crm.models import CustomField, ListPreference, SavedView

from .helpers import login

pytestmark = pytest.mark.e2e

ROWS = "#results table.table-list tbody tr:has(a.row-link)"
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_NAME = "杭州西湖区数字经济产业园智能制造与工业互联网创新研究院有限公司"


def shot(pages, page, step: str) -> None:
    """A screenshot, then the empty `style` attributes Playwright's caret
    hiding leaves on inputs removed: htmx copies attributes such as `style`
    onto swapped-in elements with the same id, and a `style` attribute set
    from script is an inline style the CSP refuses (a false alarm)."""
    pages.shot(page, step)
    page.evaluate(
        "document.querySelectorAll('[style=\"\"]')"
        ".forEach(el => el.removeAttribute('style'))"
    )


def scroll_sizes(page, selector: str) -> dict:
    return page.locator(selector).evaluate(
        "el => ({scroll: el.scrollWidth, client: el.clientWidth})"
    )


def page_scrolls_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > window.innerWidth"
        " || document.body.scrollWidth > window.innerWidth"
    )


def test_column_chooser_is_remembered_and_the_default_fits_1440(
    live_server, pages, page, users, make_customer
):
    # Given customers with a long name, a city, an amount and a custom field
    # marked "shown in list"
    CustomField.objects.create(
        target="customer",
        key="channel",
        label="获客渠道",
        field_type="text",
        show_in_list=True,
    )
    make_customer(
        users["rep1"],
        name=LONG_NAME,
        city="杭州市西湖区",
        historical_amount=Decimal("123456789.00"),
        custom={"channel": "展会"},
    )
    make_customer(users["rep2"], name="上海潜在客户有限公司")
    page.set_viewport_size(WIDE)
    login(page, live_server, "manager")

    # When the manager opens the list at 1440 px with the default columns
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator(ROWS)).to_have_count(2)

    # Then the table needs no sideways scrolling, and long text is cut with
    # the whole of it in the title
    sizes = scroll_sizes(page, "[data-list-table]")
    assert sizes["scroll"] <= sizes["client"], sizes
    assert not page_scrolls_sideways(page)
    name = page.locator(".col-name a", has_text="杭州西湖区")
    expect(name).to_have_attribute("title", LONG_NAME)
    expect(page.locator("th.col-custom")).to_have_count(0)
    prospect = page.locator(ROWS).filter(has_text="上海潜在客户")
    expect(prospect.locator("td.col-historical_amount")).to_have_text("—")
    shot(pages, page, "default-columns-1440")

    # When they choose tags and the custom field, drop the industry, and apply
    page.evaluate("window.notReloaded = true")
    page.click("#columns-menu summary")
    chooser = page.locator("#columns-menu form")
    expect(chooser.locator('input[value="name"]')).to_be_disabled()
    chooser.locator('input[value="tags"]').check()
    chooser.locator('input[value="cf_channel"]').check()
    chooser.locator('input[value="industry"]').uncheck()
    shot(pages, page, "column-chooser-open")
    chooser.locator("button[type=submit]:not([name])").click()

    # Then the results show those columns in place, without a page load
    expect(page.locator("th.col-custom")).to_have_text("获客渠道")
    expect(page.locator("th.col-industry")).to_have_count(0)
    expect(page.locator("#columns-menu")).not_to_have_attribute("open", "")
    assert page.evaluate("window.notReloaded") is True
    stored = ListPreference.objects.get(user=users["manager"]).columns
    assert "cf_channel" in stored and "industry" not in stored

    # and after a reload they are still the columns shown
    page.reload()
    expect(page.locator("th.col-tags")).to_have_count(1)
    expect(page.locator("th.col-custom")).to_have_text("获客渠道")
    expect(page.locator("th.col-industry")).to_have_count(0)
    expect(page.locator(ROWS).filter(has_text="杭州西湖区")).to_contain_text("展会")

    # and the header stays in sight while the table scrolls
    page.set_viewport_size({"width": 1440, "height": 500})
    for i in range(12):
        make_customer(users["rep1"], name=f"滚动测试{i}有限公司")
    page.reload()
    page.locator("[data-list-table]").evaluate("el => el.scrollTo(0, 400)")
    header = page.locator("thead th.col-name").bounding_box()
    box = page.locator("[data-list-table]").bounding_box()
    assert abs(header["y"] - box["y"]) < 3, (header, box)
    shot(pages, page, "chosen-columns-sticky-header")
    pages.assert_no_browser_errors()


def test_saved_view_is_created_applied_and_seen_by_a_colleague(
    live_server, pages, page, users, make_customer
):
    # Given level-A customers of rep1 and rep2, and a level-C one
    make_customer(users["rep1"], name="甲级一号有限公司", level="A")
    make_customer(users["rep1"], name="丙级一号有限公司", level="C")
    make_customer(users["rep2"], name="甲级二号有限公司", level="A")
    page.set_viewport_size(WIDE)
    login(page, live_server, "rep1")
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator(ROWS)).to_have_count(2)

    # When rep1 filters level A and saves that as a view shared with the team
    page.select_option("#id_level", "A")
    expect(page.locator(ROWS)).to_have_count(1)
    page.click("#views-menu summary")
    page.fill("#id_view-name", "A级客户")
    page.check("#id_view-shared")
    shot(pages, page, "save-view")
    with page.expect_navigation():
        page.click("#savedview-form button[type=submit]")

    # Then the list shows the view applied, under its name
    assert re.search(r"[?&]view=\d+", page.url)
    expect(page.locator("#views-menu summary")).to_contain_text("A级客户")
    expect(page.locator(ROWS)).to_have_count(1)
    view = SavedView.objects.get(owner=users["rep1"])
    assert view.shared and view.query == "level=A"

    # and a second view with the same name is refused next to the name field
    page.click("#views-menu summary")
    page.fill("#id_view-name", "A级客户")
    page.click("#savedview-form button[type=submit]")
    expect(page.locator("#savedview-form .error")).to_contain_text("A级客户")
    assert SavedView.objects.count() == 1

    # When rep1 goes back to the default view and applies the saved one
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator(ROWS)).to_have_count(2)
    page.click("#views-menu summary")
    page.locator("#views-menu a.menu-link", has_text="A级客户").click()
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator("#id_level")).to_have_value("A")

    # Then a colleague sees the shared view and applying it shows their own
    # level-A customers, not rep1's
    other = pages.new()
    other.set_viewport_size(WIDE)
    login(other, live_server, "rep2")
    other.goto(f"{live_server.url}/customers/")
    other.click("#views-menu summary")
    shared = other.locator('[data-views="team"] a.menu-link', has_text="A级客户")
    expect(shared).to_have_count(1)
    expect(other.locator('[data-views="team"]')).not_to_contain_text("重命名")
    shot(pages, other, "colleague-sees-shared-view")
    shared.click()
    expect(other.locator(ROWS)).to_have_count(1)
    expect(other.locator(ROWS)).to_contain_text("甲级二号")
    shot(pages, other, "colleague-applied-shared-view")
    pages.assert_no_browser_errors()


def test_back_button_brings_back_the_search_text_with_the_results(
    live_server, pages, page, users, make_customer
):
    # Given two customers, one in 杭州
    wanted = make_customer(users["rep1"], name="杭州回退测试有限公司", level="A")
    make_customer(users["rep1"], name="上海回退测试有限公司", level="B")
    page.set_viewport_size(WIDE)
    login(page, live_server, "rep1")
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator(ROWS)).to_have_count(2)

    # When rep1 types a search and the results follow (htmx pushes the URL)
    page.locator("#id_q").press_sequentially("杭州")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/customers/\?q=%E6%9D%AD%E5%B7%9E$"))

    # and adds a filter (a second entry), then goes Back within the page
    page.select_option("#id_level", "B")
    expect(page.locator(ROWS)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"level=B"))
    page.go_back()

    # Then the inputs show the search alone again, with its results (htmx's
    # snapshot of that entry holds the rows but not what was typed)
    expect(page).to_have_url(re.compile(r"\?q=%E6%9D%AD%E5%B7%9E$"))
    expect(page.locator("#id_q")).to_have_value("杭州")
    expect(page.locator("#id_level")).to_have_value("")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text("杭州回退测试")
    # and the restored page still works: the header box ticks the row
    page.locator("th [data-select-all]").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("已选 1 个客户")

    # When rep1 opens the customer, then goes Back to the list
    with page.expect_navigation():
        page.locator(ROWS).locator("a.row-link").click()
    assert page.url.endswith(wanted.get_absolute_url())
    page.go_back()

    # Then the search box again shows the search, and the rows are its results
    expect(page.locator("#id_q")).to_have_value("杭州")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text("杭州回退测试")
    shot(pages, page, "back-restores-search")
    pages.assert_no_browser_errors()


def test_phone_shows_cards_and_folds_the_filters(
    live_server, pages, page, users, make_customer
):
    # Given rep1's customers, one a prospect without any amount
    rich = make_customer(
        users["rep1"],
        name=LONG_NAME,
        level="A",
        status="active",
        historical_amount=Decimal("500000.00"),
    )
    make_customer(users["rep1"], name="潜在客户有限公司", level="C")
    page.set_viewport_size(PHONE)
    login(page, live_server, "rep1")

    # When rep1 opens the list on a phone with one filter applied
    page.goto(f"{live_server.url}/customers/?level=A")
    expect(page.locator(ROWS)).to_have_count(1)

    # Then nothing scrolls sideways, "New customer" and the search box are in
    # the first screen, the filters are folded behind a button counting one
    assert not page_scrolls_sideways(page)
    new = page.locator("#new-customer").bounding_box()
    assert new is not None and new["y"] + new["height"] <= PHONE["height"]
    expect(page.locator("#id_q")).to_be_visible()
    expect(page.locator("#id_level")).to_be_hidden()
    toggle = page.locator("[data-filter-toggle]")
    expect(toggle.locator(".count")).to_have_text("1")
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # and the row is a card with the name, level, status, owner, amount and
    # primary contact (columns not chosen on the desktop still show)
    card = page.locator(ROWS).first
    expect(page.locator("table.table-list thead")).to_be_hidden()
    for cell in ("name", "level", "status", "owner", "historical_amount", "contact"):
        expect(card.locator(f"td.col-{cell}")).to_be_visible()
    expect(card.locator("td.col-industry")).to_be_hidden()
    shot(pages, page, "phone-cards")

    # When the filter button is tapped, the filters open
    toggle.click()
    expect(page.locator("#id_level")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert not page_scrolls_sideways(page)
    shot(pages, page, "phone-filters-open")
    page.select_option("#id_level", "")
    expect(page.locator(ROWS)).to_have_count(2)
    expect(toggle.locator(".count")).to_have_text("")
    prospect = page.locator(ROWS).filter(has_text="潜在客户有限公司")
    expect(prospect.locator("td.col-historical_amount")).to_contain_text("—")

    # and tapping anywhere on a card opens the customer
    card = page.locator(ROWS).filter(has_text="杭州西湖区")
    box = card.bounding_box()
    with page.expect_navigation():
        card.click(position={"x": box["width"] - 16, "y": box["height"] - 12})
    assert page.url.endswith(rich.get_absolute_url())
    pages.assert_no_browser_errors()
