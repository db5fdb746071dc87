"""Contact details: who sees them whole, and no way around the mask."""

import pytest
from django.urls import reverse

from customers import services
from tests.factories import client_for


def found(client, user, text) -> bool:
    client_for(client, user)
    response = client.get(reverse("customers:customer_list"), {"q": text})
    return "上海一号科技有限公司" in response.content.decode()


@pytest.mark.parametrize(
    "text", ["1381234", "5678", "345", "zw@", "@a.com", "zw@a"], ids=str
)
def test_a_view_only_role_cannot_recover_a_masked_number_by_substring(
    client, users, rep1_customer, text
):
    # Given customer service, who sees rep1's contact masked (138****5678)
    # When it searches for a part of the phone or e-mail
    # Then nothing is found, so the number cannot be read digit by digit
    assert not found(client, users["service"], text)


@pytest.mark.parametrize("text", ["13812345678", "138 1234 5678", "ZW@a.com"])
def test_customer_service_finds_a_caller_by_the_whole_number(
    client, users, rep1_customer, text
):
    assert found(client, users["service"], text)


def test_a_rep_searches_own_contacts_by_substring(client, users, rep1_customer):
    assert found(client, users["rep1"], "5678")
    assert found(client, users["rep1"], "zw@")


def test_a_view_share_does_not_open_substring_search(client, users, rep1_customer):
    # Given rep2 may view (not edit) rep1's customer
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="view"
    )
    # Then rep2 finds it by the whole number only
    assert not found(client, users["rep2"], "5678")
    assert found(client, users["rep2"], "13812345678")


def test_contact_notes_are_masked_for_view_only_roles(client, users, make_customer):
    # Given a contact whose note holds another number and an e-mail
    customer = make_customer(
        users["rep1"],
        contacts=[
            services.ContactData(
                name="王五", phone="13900001111", note="备用 13755556666 ww@c.com"
            )
        ],
    )
    # When customer service opens the customer
    page = (
        client_for(client, users["service"])
        .get(customer.get_absolute_url())
        .content.decode()
    )
    # Then the note's number and e-mail are masked too
    assert "137****6666" in page and "w***@c.com" in page
    assert "13755556666" not in page and "ww@c.com" not in page


def test_the_success_manager_sees_the_contacts_phones(client, users, make_customer):
    # The success manager calls the customer's contacts.
    customer = make_customer(
        users["rep1"],
        success_manager=users["success"],
        contacts=[services.ContactData(name="王五", phone="13900001111")],
    )
    page = (
        client_for(client, users["success"])
        .get(customer.get_absolute_url())
        .content.decode()
    )
    assert "13900001111" in page


def test_the_success_managers_stale_renewal_page_shows_contact_history(
    client, users, make_customer
):
    # Given a customer the success manager looks after, edited meanwhile
    customer = make_customer(
        users["rep1"],
        success_manager=users["success"],
        contacts=[services.ContactData(name="王五", phone="13900001111")],
    )
    loaded = customer.version
    services.customer_update(
        actor=users["rep1"],
        customer=customer,
        data={},
        expected_version=loaded,
        contacts=[services.ContactData(name="赵六", phone="13700002222")],
    )
    # When the success manager saves the renewal date from the old version
    response = client_for(client, users["success"]).post(
        reverse("customers:customer_renewal", args=[customer.customer_no]),
        {"renewal_date": "2031-01-31", "version": loaded},
    )
    # Then the save is refused and the change is shown as the role may see it
    body = response.content.decode()
    assert response.status_code == 200 and "13700002222" in body
