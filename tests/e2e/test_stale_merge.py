"""Browser test: a stale save merges, and a field both people changed is
settled side by side with "keep mine" / "take theirs"."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from customers.services import ContactData
from tests.e2e.helpers import login, submit_customer_form

pytestmark = pytest.mark.e2e


def test_stale_save_merges_and_the_user_settles_the_conflict(
    live_server, pages, page, users, make_customer
):
    customer = make_customer(
        users["rep1"],
        name="宁波三号贸易有限公司",
        address="宁波市海曙区中山西路1号",
        contacts=[ContactData(name="张伟", phone="13812345678", is_primary=True)],
    )
    edit_url = f"{live_server.url}/customers/{customer.customer_no}/edit/"

    # Given rep1 opened the form and changed the address and the city
    login(page, live_server, "rep1")
    page.goto(edit_url)
    page.fill("#id_address", "宁波市鄞州区天童南路8号")
    page.fill("#id_city", "宁波")

    # And meanwhile the manager saved another address and a higher level
    manager = pages.new()
    login(manager, live_server, "manager")
    manager.goto(edit_url)
    manager.fill("#id_address", "宁波市江北区人民路99号")
    manager.select_option("#id_level", "A")
    submit_customer_form(manager)
    expect(manager).to_have_url(re.compile(rf"/customers/{customer.customer_no}/$"))

    # When rep1 saves
    submit_customer_form(page)

    # Then nothing is saved; the level is the manager's, the city rep1's, and
    # the address is marked with both values and a choice
    expect(page).to_have_url(re.compile(r"/edit/$"))
    expect(page.locator(".alert-warning")).to_contain_text("manager")
    expect(page.locator("#id_level")).to_have_value("A")
    expect(page.locator("#id_city")).to_have_value("宁波")
    address = page.locator(".field.has-conflict").filter(
        has=page.locator("#id_address")
    )
    expect(address).to_have_count(1)
    expect(address.locator(".conflict-mine")).to_contain_text("天童南路8号")
    expect(address.locator(".conflict-theirs")).to_contain_text("人民路99号")
    expect(address.locator("input[type=radio]")).to_have_count(2)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        address.scroll_into_view_if_needed()
        pages.shot(page, f"conflict-{width}")

    # When rep1 saves without choosing, the choice is asked for next to the field
    submit_customer_form(page)
    expect(page.locator("#id_address_error")).to_be_visible()
    assert Customer.objects.get(pk=customer.pk).address == "宁波市江北区人民路99号"

    # When rep1 takes theirs and saves
    page.check('input[name="merge-address"][value="theirs"]')
    submit_customer_form(page)

    # Then the manager's address and level stay, and rep1's city is saved
    expect(page).to_have_url(re.compile(rf"/customers/{customer.customer_no}/$"))
    saved = Customer.objects.get(pk=customer.pk)
    assert (saved.address, saved.level, saved.city) == (
        "宁波市江北区人民路99号",
        "A",
        "宁波",
    )
    assert saved.contacts.get().phone == "13812345678"
    pages.assert_no_browser_errors()
