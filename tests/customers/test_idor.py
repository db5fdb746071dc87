"""A rep cannot reach a colleague's customer by any path (DESIGN §4).

Hidden records are a 404 exactly like missing ones, and never show up in
search, filters, htmx fragments or bulk actions. Contact details of customers
a user may view but not edit are masked.
"""

import pytest
from django.urls import reverse

from customers.models import Customer, CustomerUserObjectPermission, Tag
from tests.factories import client_for
from tests.factories import customer_form_data as edit_form_data


def list_shows(response, customer: Customer) -> bool:
    """Is `customer` among the list's rows (context and rendered links)?"""
    in_context = customer.pk in {c.pk for c in response.context["object_list"]}
    in_html = customer.get_absolute_url() in response.content.decode()
    assert in_context == in_html
    return in_context


def rep1_grants(customer: Customer, users) -> set[str]:
    return set(
        CustomerUserObjectPermission.objects.filter(
            content_object=customer, user=users["rep1"]
        ).values_list("permission__codename", flat=True)
    )


# --- by ID -----------------------------------------------------------------


def no_data(customer, users):
    return None


BY_ID = [
    ("customers:customer_detail", "GET", no_data),
    ("customers:customer_update", "GET", no_data),
    (
        "customers:customer_update",
        "POST",
        lambda c, users: edit_form_data(c, name="被篡改有限公司"),
    ),
    ("customers:customer_delete", "GET", no_data),
    ("customers:customer_delete", "POST", lambda c, users: {}),
    ("customers:customer_share", "GET", no_data),
    (
        "customers:customer_share",
        "POST",
        # rep1 tries to grant itself edit access to rep2's customer.
        lambda c, users: {"user": users["rep1"].pk, "level": "change"},
    ),
    ("customers:customer_renewal", "GET", no_data),
    (
        "customers:customer_renewal",
        "POST",
        lambda c, users: {"renewal_date": "2031-01-31", "version": c.version},
    ),
]


@pytest.mark.parametrize(
    "url_name, method, data",
    [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in BY_ID],
)
def test_rep1_gets_404_on_rep2s_customer(
    client, users, rep2_customer, url_name, method, data
):
    # Given rep1 signed in, and rep2's customer
    client_for(client, users["rep1"])
    url = reverse(url_name, args=[rep2_customer.customer_no])

    # When rep1 opens or posts to one of its pages
    send = client.get if method == "GET" else client.post
    response = send(url, data(rep2_customer, users))

    # Then it is a 404, as for a customer that does not exist, and nothing changed
    assert response.status_code == 404
    assert rep2_customer.name not in response.content.decode()
    after = Customer.objects.get(pk=rep2_customer.pk)
    assert after.name == rep2_customer.name
    assert after.version == rep2_customer.version
    assert after.renewal_date is None
    assert after.deleted_at is None
    assert rep1_grants(rep2_customer, users) == set()


def test_hidden_customer_looks_like_a_missing_one(client, users, rep2_customer):
    client_for(client, users["rep1"])

    missing = client.get(reverse("customers:customer_detail", args=["C20000101001"]))
    hidden = client.get(rep2_customer.get_absolute_url())

    assert hidden.status_code == missing.status_code == 404
    assert [t.name for t in hidden.templates] == [t.name for t in missing.templates]


def test_rep1_cannot_export_rep2s_customer(client, users, rep2_customer):
    client_for(client, users["rep1"])

    response = client.get(
        reverse("customers:customer_export"), {"q": rep2_customer.customer_no}
    )

    assert response.status_code == 403
    assert rep2_customer.name not in response.content.decode()


# --- by search and filter ----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        lambda c: c.name,
        lambda c: c.customer_no,
        lambda c: c.contacts.get().phone,
        lambda c: c.contacts.get().email,
        lambda c: c.contacts.get().name,
    ],
    ids=["name", "customer_no", "phone", "email", "contact_name"],
)
def test_search_does_not_find_rep2s_customer_for_rep1(
    client, users, rep1_customer, rep2_customer, query
):
    q = query(rep2_customer)
    url = reverse("customers:customer_list")

    # Given the search finds the customer for its owner
    client_for(client, users["rep2"])
    assert list_shows(client.get(url, {"q": q}), rep2_customer)

    # When rep1 searches for it
    client_for(client, users["rep1"])
    response = client.get(url, {"q": q})

    # Then it is not among the results
    assert response.status_code == 200
    assert not list_shows(response, rep2_customer)
    assert response.context["paginator"].count == 0


def test_owner_filter_shows_rep1_nothing_of_rep2s(
    client, users, rep1_customer, rep2_customer
):
    url = reverse("customers:customer_list")
    client_for(client, users["manager"])
    assert list_shows(client.get(url, {"owner": users["rep2"].pk}), rep2_customer)

    client_for(client, users["rep1"])
    response = client.get(url, {"owner": users["rep2"].pk})

    assert response.status_code == 200
    assert not list_shows(response, rep2_customer)
    assert list(response.context["object_list"]) == []


@pytest.mark.parametrize("params", [{}, {"q": "杭州二号"}], ids=["all", "search"])
def test_htmx_fragment_hides_rep2s_customer(
    client, users, rep1_customer, rep2_customer, params
):
    client_for(client, users["rep1"])

    response = client.get(
        reverse("customers:customer_list"), params, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # the results partial, not the whole page
    assert not list_shows(response, rep2_customer)
    assert rep2_customer.name not in body
    if not params:
        assert list_shows(response, rep1_customer)


# --- by bulk action ----------------------------------------------------------


@pytest.mark.parametrize(
    "action, selection",
    [
        ("add_tag", ["rep2"]),
        ("add_tag", ["rep1", "rep2"]),
        ("reassign", ["rep2"]),
        ("reassign", ["rep1", "rep2"]),
    ],
    ids=["tag", "tag-mixed", "reassign", "reassign-mixed"],
)
def test_bulk_action_leaves_rep2s_customer_alone(
    client, users, rep1_customer, rep2_customer, action, selection
):
    # Given rep1 sends rep2's customer number in a bulk form
    tag = Tag.objects.create(name="越权标签")
    chosen = {"rep1": rep1_customer, "rep2": rep2_customer}
    client_for(client, users["rep1"])

    # When the bulk action is posted
    response = client.post(
        reverse("customers:customer_bulk"),
        {
            "action": action,
            "tag": tag.pk,
            "owner": users["rep1"].pk,
            "selected": [chosen[who].customer_no for who in selection],
        },
    )

    # Then the form is refused as a whole: nothing of rep2's customer changed
    # and rep1 gained no access to it
    assert response.status_code == 302
    after = Customer.objects.get(pk=rep2_customer.pk)
    assert after.owner == users["rep2"]
    assert after.version == rep2_customer.version
    assert not after.tags.exists()
    assert rep1_grants(rep2_customer, users) == set()


# --- masking -----------------------------------------------------------------


def test_service_sees_rep1s_customer_with_contact_masked(client, users, rep1_customer):
    client_for(client, users["service"])

    detail = client.get(rep1_customer.get_absolute_url()).content.decode()
    listing = client.get(reverse("customers:customer_list")).content.decode()

    assert "138****5678" in detail
    assert "z***@a.com" in detail
    assert "138****5678" in listing
    for page in (detail, listing):
        assert "13812345678" not in page
        assert "zw@a.com" not in page


def test_service_sees_masked_contact_in_htmx_list(client, users, rep1_customer):
    client_for(client, users["service"])

    body = client.get(
        reverse("customers:customer_list"), headers={"HX-Request": "true"}
    ).content.decode()

    assert "138****5678" in body
    assert "13812345678" not in body


def test_owner_sees_contact_unmasked(client, users, rep1_customer):
    client_for(client, users["rep1"])

    detail = client.get(rep1_customer.get_absolute_url()).content.decode()
    listing = client.get(reverse("customers:customer_list")).content.decode()

    assert "13812345678" in detail
    assert "zw@a.com" in detail
    assert "13812345678" in listing
    assert "138****5678" not in detail + listing


def test_service_does_not_see_unmasked_contact_in_history(client, users, rep1_customer):
    # Given the owner changed the contact's phone number
    client_for(client, users["rep1"])
    response = client.post(
        reverse("customers:customer_update", args=[rep1_customer.customer_no]),
        edit_form_data(rep1_customer, **{"contacts-0-phone": "13900001111"}),
    )
    assert response.status_code == 302

    # When customer service opens the customer
    client_for(client, users["service"])
    detail = client.get(rep1_customer.get_absolute_url()).content.decode()

    # Then neither the old nor the new number is readable in the history
    assert "139****1111" in detail
    assert "13812345678" not in detail
    assert "13900001111" not in detail
    assert "zw@a.com" not in detail


# --- reassign and share --------------------------------------------------------


def test_reassign_moves_access_from_rep1_to_rep2(client, users, rep1_customer):
    # Given the manager reassigns rep1's customer to rep2 from the list
    client_for(client, users["manager"])
    response = client.post(
        reverse("customers:customer_bulk"),
        {
            "action": "reassign",
            "owner": users["rep2"].pk,
            "selected": [rep1_customer.customer_no],
        },
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=rep1_customer.pk).owner == users["rep2"]

    # Then rep1 can no longer see it and rep2 can
    client_for(client, users["rep1"])
    assert client.get(rep1_customer.get_absolute_url()).status_code == 404
    edit = reverse("customers:customer_update", args=[rep1_customer.customer_no])
    assert client.get(edit).status_code == 404
    client_for(client, users["rep2"])
    assert client.get(rep1_customer.get_absolute_url()).status_code == 200
    assert client.get(edit).status_code == 200


def share(client, users, customer, level):
    client_for(client, users["rep1"])
    response = client.post(
        reverse("customers:customer_share", args=[customer.customer_no]),
        {"user": users["rep2"].pk, "level": level},
    )
    assert response.status_code == 302


def test_view_share_lets_rep2_read_but_not_edit(client, users, rep1_customer):
    # Given rep1 shares the customer with rep2 for viewing
    share(client, users, rep1_customer, "view")
    edit = reverse("customers:customer_update", args=[rep1_customer.customer_no])

    # When rep2 opens it and tries to edit it
    client_for(client, users["rep2"])
    detail = client.get(rep1_customer.get_absolute_url())
    edit_get = client.get(edit)
    edit_post = client.post(edit, edit_form_data(rep1_customer, name="被篡改有限公司"))

    # Then rep2 reads it (contacts masked) but may not change it
    assert detail.status_code == 200
    assert "138****5678" in detail.content.decode()
    assert "13812345678" not in detail.content.decode()
    assert edit_get.status_code == 403
    assert edit_post.status_code == 403
    assert Customer.objects.get(pk=rep1_customer.pk).name == rep1_customer.name


def test_change_share_lets_rep2_edit(client, users, rep1_customer):
    share(client, users, rep1_customer, "change")
    edit = reverse("customers:customer_update", args=[rep1_customer.customer_no])

    client_for(client, users["rep2"])
    edit_get = client.get(edit)
    edit_post = client.post(
        edit, edit_form_data(rep1_customer, name="二号改名有限公司")
    )

    assert edit_get.status_code == 200
    assert edit_post.status_code == 302
    after = Customer.objects.get(pk=rep1_customer.pk)
    assert after.name == "二号改名有限公司"
    assert after.owner == users["rep1"]


def test_unshare_hides_the_customer_again(client, users, rep1_customer):
    share(client, users, rep1_customer, "change")
    client.post(
        reverse("customers:customer_share", args=[rep1_customer.customer_no]),
        {"user": users["rep2"].pk, "level": "change", "remove": "1"},
    )

    client_for(client, users["rep2"])
    assert client.get(rep1_customer.get_absolute_url()).status_code == 404


def test_rep1_cannot_create_a_customer_for_rep2(client, users):
    # The owner field is fixed to the creator for roles that may not reassign.
    client_for(client, users["rep1"])
    response = client.post(
        reverse("customers:customer_create"),
        {
            "name": "越权归属有限公司",
            "type": Customer.Type.ENTERPRISE,
            "level": Customer.Level.C,
            "status": Customer.Status.POTENTIAL,
            "historical_amount": "0",
            "owner": users["rep2"].pk,
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert Customer.objects.get(name="越权归属有限公司").owner == users["rep1"]


def test_rep1_cannot_hand_own_customer_to_rep2_by_editing(client, users, rep1_customer):
    client_for(client, users["rep1"])
    response = client.post(
        reverse("customers:customer_update", args=[rep1_customer.customer_no]),
        edit_form_data(rep1_customer, owner=users["rep2"].pk),
    )

    assert response.status_code == 302
    assert Customer.objects.get(pk=rep1_customer.pk).owner == users["rep1"]
    client_for(client, users["rep2"])
    assert client.get(rep1_customer.get_absolute_url()).status_code == 404


def test_masked_list_leaves_a_missing_phone_empty(client, users, make_customer):
    from customers.services import ContactData

    make_customer(users["rep1"], contacts=[ContactData(name="无电话", email="")])
    client_for(client, users["service"])
    listing = client.get(reverse("customers:customer_list")).content.decode()
    assert "无电话" in listing and "****" not in listing
