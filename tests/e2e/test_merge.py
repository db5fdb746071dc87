"""Two reps, one company: rep2 is warned that rep1 already has it and saves
anyway; the manager finds the pair on the duplicates page, compares them,
picks values and merges them; the dropped customer's address leads to the
kept one. At 1440 and 390 px, with screenshots of each step."""

import pytest
from playwright.sync_api import expect

from customers.models import Customer, CustomerAlias
from tests.factories import contact, make_customer, make_followup

from .helpers import (
    DESKTOP,
    PHONE,
    horizontal_overflow,
    login,
    new_page,
    screenshot,
    submit_customer_form,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_a_manager_merges_two_records_of_one_company(
    live_server, pages, users, viewport
):
    width = viewport["width"]
    kept = make_customer(
        users["rep1"], name="上海星河科技有限公司", contacts=[contact()]
    )
    make_followup(users["rep1"], kept)

    # rep2 enters the same company: warned, then saves anyway.
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "rep2")
    page.goto(live_server.url + "/customers/new/")
    page.fill("#id_name", "上海星河 科技有限公司")
    page.fill("#id_city", "上海")
    submit_customer_form(page)
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("已有相似客户（负责人：rep1）")
    expect(warning).to_contain_text(kept.customer_no)
    assert horizontal_overflow(page) == 0
    screenshot(page, f"merge-warning-{width}")
    assert not Customer.objects.filter(name="上海星河 科技有限公司").exists()
    warning.locator("[data-duplicate-confirm]").check()
    submit_customer_form(page)
    expect(page.locator(".page-head h1")).to_have_text("上海星河 科技有限公司")
    dropped = Customer.objects.get(name="上海星河 科技有限公司")

    # The manager finds them on the duplicates page.
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "manager")
    page.goto(live_server.url + "/customers/duplicates/")
    group = page.locator(".duplicate-group").filter(has_text="上海星河")
    expect(group).to_have_count(1)
    expect(group.locator("h2")).to_contain_text("相同的客户名称")
    assert horizontal_overflow(page) == 0
    screenshot(page, f"merge-duplicates-{width}")
    group.locator(f'input[name="keep"][value="{kept.customer_no}"]').check()
    group.locator(f'input[name="drop"][value="{dropped.customer_no}"]').check()
    with page.expect_navigation():
        group.locator("button[type=submit]").click()

    # Side by side, a choice per differing field; take the city of the other.
    expect(page.locator("h1")).to_have_text("合并客户")
    page.locator('input[name="field_city"][value="drop"]').check()
    expect(page.locator('input[name="field_name"][value="keep"]')).to_be_checked()
    assert horizontal_overflow(page) == 0
    screenshot(page, f"merge-compare-{width}")
    with page.expect_navigation():
        page.locator("form.merge button[type=submit]").click()

    # On the kept customer's page, with the merge in its history.
    expect(page.locator(".page-head h1")).to_have_text("上海星河科技有限公司")
    expect(page.locator("body")).to_contain_text("已合并到")
    expect(page.locator("body")).to_contain_text(dropped.customer_no)
    kept.refresh_from_db()
    assert kept.city == "上海"
    assert not Customer.objects.filter(pk=dropped.pk).exists()
    assert CustomerAlias.objects.get(customer_no=dropped.customer_no).customer == kept
    screenshot(page, f"merge-done-{width}")

    # The dropped customer's address leads to the kept one.
    page.goto(live_server.url + dropped.get_absolute_url())
    expect(page).to_have_url(live_server.url + kept.get_absolute_url())
    pages.assert_no_browser_errors()
