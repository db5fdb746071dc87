"""Customer search (CustomerQuerySet.search) never widens what a user sees."""

import pytest

from customers import models, services
from customers.models import Customer
from tests.factories import client_for


@pytest.fixture(params=[1000, 0], ids=["selective", "broad"])
def search_limit(request, monkeypatch):
    # 0 sends every search down the broad branch (a plain OR).
    monkeypatch.setattr(models, "SEARCH_ID_LIMIT", request.param)
    return request.param


def test_a_reps_search_finds_only_visible_live_customers(
    client, users, make_customer, rep1_customer, rep2_customer, search_limit
):
    trashed = make_customer(users["rep1"], name="回收站一号有限公司")
    services.customer_delete(actor=users["admin"], customer=trashed)
    rep1 = users["rep1"]

    found = Customer.objects.for_user(rep1).search("有限公司", user=rep1)

    assert set(found.values_list("name", flat=True)) == {rep1_customer.name}
    response = client_for(client, rep1).get("/customers/", {"q": "有限公司"})
    assert [c.pk for c in response.context["object_list"]] == [rep1_customer.pk]


def test_a_masked_phone_is_found_only_by_the_whole_number(
    users, rep1_customer, search_limit
):
    service = users["service"]
    visible = Customer.objects.for_user(service)
    assert not visible.search("1381234", user=service).exists()
    assert visible.search("13812345678", user=service).get() == rep1_customer
    # its owner finds it by part of the number
    rep1 = users["rep1"]
    assert Customer.objects.for_user(rep1).search("1381234", user=rep1).exists()
