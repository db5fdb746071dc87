"""The in-app settings in a real Chromium, at 1440 px and on a phone (390 px)."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from customers.models import Customer, Tag

from .helpers import login

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SAVE = "form.settings-form .form-actions button[type=submit]"


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def check_size(pages, page, step: str, size: dict) -> None:
    page.set_viewport_size(size)
    assert no_sideways_scroll(page), f"{step}: the page scrolls sideways"
    pages.shot(page, f"{step}-{size['width']}")


def test_admin_adds_a_custom_field_and_sees_it_on_the_customer_form(
    live_server, pages, page, users
):
    login(page, live_server, "admin")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/settings/")
    expect(page.locator(".settings-index a")).to_have_count(4)
    for size in (DESKTOP, PHONE):
        check_size(pages, page, "index", size)
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_server.url}/settings/custom-fields/")
    with page.expect_navigation():
        page.click('.page-head a[href="/settings/custom-fields/new/?target=customer"]')
    # The choices box shows for choice types only.
    expect(page.locator("#id_choices")).to_be_hidden()
    page.fill("#id_key", "source_channel")
    page.fill("#id_label", "获客渠道")
    page.select_option("#id_field_type", "choice")
    expect(page.locator("#id_choices")).to_be_visible()
    page.fill("#id_choices", "展会\n转介绍\n官网")
    page.check("#id_show_in_list")
    check_size(pages, page, "custom-field-form", PHONE)
    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        page.click(SAVE)
    expect(page.locator(".message-success")).to_contain_text("获客渠道")
    for size in (DESKTOP, PHONE):
        check_size(pages, page, "custom-field-list", size)

    page.goto(f"{live_server.url}/customers/new/")
    field = page.locator("#id_cf_source_channel")
    expect(field).to_be_visible()
    expect(field.locator("option")).to_have_count(4)
    pages.shot(page, "customer-form-with-the-field")
    pages.assert_no_browser_errors()


def test_admin_merges_two_tags(live_server, pages, page, users, make_customer):
    target = Tag.objects.get(name="重点客户")
    dup = Tag.objects.get(name="重点维护客户")
    both = make_customer(users["rep1"], tags=[target, dup])
    dup_only = make_customer(users["rep1"], tags=[dup])

    login(page, live_server, "admin")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/settings/tags/")
    check_size(pages, page, "tag-list", PHONE)
    check_size(pages, page, "tag-list", DESKTOP)
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        page.click('.page-head a[href="/settings/tags/merge/"]')
    page.get_by_role("checkbox", name="重点维护客户").check()
    page.select_option("#id_target", str(target.pk))
    # The tag kept cannot also be merged away.
    expect(page.locator(f'input[name="sources"][value="{target.pk}"]')).to_be_disabled()
    check_size(pages, page, "tag-merge", PHONE)
    with page.expect_navigation():
        page.click("form[data-tag-merge] button[type=submit]")
    expect(page.locator(".message-success")).to_contain_text("2")
    check_size(pages, page, "tag-list-merged", PHONE)

    assert not Tag.objects.filter(pk=dup.pk).exists()
    for customer in (both, dup_only):
        assert list(Customer.objects.get(pk=customer.pk).tags.all()) == [target]
    pages.assert_no_browser_errors()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1440", "390"])
def test_admin_creates_a_user_who_can_then_sign_in(
    live_server, pages, browser, users, size
):
    admin = pages.new()
    admin.set_viewport_size(size)
    login(admin, live_server, "admin")
    admin.goto(f"{live_server.url}/settings/users/")
    check_size(pages, admin, "user-list", size)
    with admin.expect_navigation():
        admin.click('.page-head a[href="/settings/users/new/"]')
    admin.fill("#id_username", "xiaoming")
    admin.fill("#id_full_name", "王小明")
    admin.select_option("#id_role", "客户成功")
    admin.fill("#id_password1", "123")
    admin.fill("#id_password2", "123")
    with admin.expect_navigation():
        admin.click(SAVE)
    # The validators' message is next to the password, in Chinese.
    expect(admin.locator(".field.has-error #id_password1")).to_be_visible()
    check_size(pages, admin, "user-form-error", size)
    admin.fill("#id_password1", "Xiaoming-2024-crm")
    admin.fill("#id_password2", "Xiaoming-2024-crm")
    with admin.expect_navigation():
        admin.click(SAVE)
    expect(admin.locator(".message-success")).to_contain_text("xiaoming")
    check_size(pages, admin, "user-created", size)

    newcomer = pages.new()
    newcomer.set_viewport_size(size)
    login(newcomer, live_server, "xiaoming", "Xiaoming-2024-crm")
    assert newcomer.url.rstrip("/") == live_server.url
    assert User.objects.get(username="xiaoming").groups.get().name == "客户成功"
    # Not an administrator: no settings for them.
    response = newcomer.goto(f"{live_server.url}/settings/")
    assert response.status == 403
    pages.shot(newcomer, f"newcomer-403-{size['width']}")
    pages.assert_no_browser_errors()
