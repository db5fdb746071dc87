"""The customer list's bulk bar in a real Chromium, on a laptop and a phone.

Only the input the chosen action needs shows, the count follows the ticks, a
confirmation names the count before anything changes, an error keeps the
ticks, and "select all N matching" reaches past the page with the filters on
screen (changed through htmx)."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer, Tag

from .helpers import (
    DESKTOP,
    PHONE,
    horizontal_overflow,
    login,
    new_page,
    screenshot,
)

pytestmark = pytest.mark.e2e

ROWS = 'input[name="selected"]'
BAR = "[data-bulk-controls]"
APPLY = "[data-bulk-apply]"
DIALOG = "dialog[data-bulk-confirm]"


def owners(names) -> set[str]:
    return set(
        Customer.objects.filter(name__in=names).values_list(
            "owner__username", flat=True
        )
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_bulk_bar_from_two_ticks_to_all_matching(
    live_server, pages, users, make_customer, viewport
):
    # Given 30 customers of rep1's named alike and one other, 25 to a page
    alike = [
        make_customer(users["rep1"], name=f"星辰贸易{i:02d}号", level="A")
        for i in range(30)
    ]
    make_customer(users["rep1"], name="无关实业有限公司", level="B")
    page = new_page(pages, viewport)
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/customers/?per_page=25")
    bar = page.locator(BAR)
    size = viewport["width"]

    # The bar is quiet with nothing ticked
    expect(bar).to_have_class(re.compile(r"\bis-quiet\b"))
    expect(page.locator(APPLY)).to_be_disabled()
    pages.shot(page, f"{size}-quiet")
    screenshot(page, f"bulk-{size}-quiet", full_page=False)

    # When two rows are ticked, the count follows and Apply wakes up
    boxes = page.locator(ROWS)
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("[data-bulk-count]")).to_have_text("已选 2 个客户")
    expect(page.locator(APPLY)).to_be_enabled()

    # Only the input the action needs shows, labelled
    expect(page.locator("#bulk-owner")).to_be_visible()
    expect(page.locator("#bulk-tag")).to_be_hidden()
    expect(page.locator(BAR).get_by_label("新负责人")).to_be_visible()
    page.select_option("#bulk-action", "add_tag")
    expect(page.locator("#bulk-tag")).to_be_visible()
    expect(page.locator(BAR).get_by_label("标签", exact=True)).to_be_visible()
    expect(page.locator("#bulk-owner")).to_be_hidden()
    page.select_option("#bulk-action", "reassign")
    pages.shot(page, f"{size}-two-ticked")

    # An error (no owner chosen) comes back in the bar, the ticks stay
    chosen = [boxes.nth(i).get_attribute("value") for i in (0, 1)]
    page.click(APPLY)
    expect(page.locator("#bulk-owner_error")).to_be_visible()
    expect(page.locator("#bulk-owner")).to_have_attribute("aria-invalid", "true")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()
    expect(page.locator("[data-bulk-count]")).to_have_text("已选 2 个客户")
    pages.shot(page, f"{size}-error-kept")
    screenshot(page, f"bulk-{size}-error-kept", full_page=False)

    # A confirmation names the count and the owner; cancelling changes nothing
    page.select_option("#bulk-owner", label="rep2")
    expect(page.locator("#bulk-owner_error")).to_have_count(0)
    page.click(APPLY)
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("将 2 个客户的负责人改为 rep2？")
    pages.shot(page, f"{size}-confirm")
    dialog.locator("[data-bulk-cancel]").click()
    expect(dialog).to_be_hidden()
    assert set(
        Customer.objects.filter(customer_no__in=chosen).values_list(
            "owner__username", flat=True
        )
    ) == {"rep1"}

    # Confirming applies it and says how many changed
    page.click(APPLY)
    with page.expect_navigation():
        page.locator(DIALOG).locator("[data-bulk-ok]").click()
    expect(page.locator(".messages")).to_contain_text("已更新 2 个客户。")
    assert set(
        Customer.objects.filter(customer_no__in=chosen).values_list(
            "owner__username", flat=True
        )
    ) == {"rep2"}

    # When the list is filtered through htmx and the whole page is ticked
    if not page.locator("#id_level").is_visible():
        page.click("[data-filter-toggle]")  # a phone folds the filters
    page.select_option("#id_level", "A")
    expect(page).to_have_url(re.compile(r"level=A"))
    expect(page.locator(".list-count")).to_contain_text("30")  # swapped in
    expect(page.locator(ROWS)).to_have_count(25)
    offer = page.locator("[data-bulk-matching]")
    expect(offer).to_be_hidden()
    # (the table's header box; on a phone, whose cards have no header, the bar's)
    page.locator("[data-select-all] >> visible=true").check()
    expect(page.locator(f"{ROWS}:checked")).to_have_count(25)
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("选择全部 30 个符合条件的客户")
    offer.locator("input").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("已选 30 个客户")
    page.select_option("#bulk-action", "add_tag")
    page.select_option("#bulk-tag", label="重点客户")
    pages.shot(page, f"{size}-all-matching")
    bar.scroll_into_view_if_needed()
    screenshot(page, f"bulk-{size}-all-matching", full_page=False)

    # Then the confirmation counts all 30, and all 30 (and only they) are tagged
    page.click(APPLY)
    expect(page.locator(DIALOG)).to_contain_text("给 30 个客户加上标签“重点客户”？")
    pages.shot(page, f"{size}-confirm-all")
    with page.expect_navigation():
        page.locator(DIALOG).locator("[data-bulk-ok]").click()
    expect(page.locator(".messages")).to_contain_text("已更新 30 个客户。")
    tag = Tag.objects.get(name="重点客户")
    assert set(tag.customer_set.values_list("name", flat=True)) == {
        c.name for c in alike
    }
    # The filter is kept on the way back
    assert "level=A" in page.url
    assert horizontal_overflow(page) == 0
    pages.assert_no_browser_errors()


def test_without_javascript_every_input_shows_and_an_error_keeps_the_ticks(
    live_server, pages, users, make_customer
):
    a = make_customer(users["rep1"], name="甲方无脚本有限公司")
    make_customer(users["rep1"], name="乙方无脚本有限公司")
    page = new_page(pages, DESKTOP, java_script_enabled=False)
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/customers/")

    # Every input shows, each with its label
    for label in ("操作", "新负责人", "标签"):
        expect(page.locator(BAR).get_by_label(label, exact=True)).to_be_visible()

    # When one row is ticked and Apply is pressed without an owner
    page.locator(f'{ROWS}[value="{a.customer_no}"]').check()
    with page.expect_navigation():
        page.click(APPLY)

    # Then the list comes back with the row still ticked and the error by the input
    expect(page.locator(f'{ROWS}[value="{a.customer_no}"]')).to_be_checked()
    expect(page.locator("#bulk-owner_error")).to_be_visible()
    pages.shot(page, "nojs-error-kept")
    pages.assert_no_browser_errors()
