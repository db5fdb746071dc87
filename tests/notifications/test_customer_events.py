"""Customers notify the colleague a customer is shared with or handed to."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from customers import services
from customers.models import Customer
from notifications.models import Notification
from tests.factories import client_for, customer_form_data


def messages_of(user) -> list[str]:
    with translation.override("zh-hans"):
        return [n.message for n in Notification.objects.for_user(user)]


def test_sharing_notifies_the_colleague(users, rep1_customer):
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="view"
    )
    n = Notification.objects.get()
    assert n.recipient == users["rep2"]
    assert n.kind == "customer_shared"
    assert n.url == rep1_customer.get_absolute_url()
    assert messages_of(users["rep2"]) == ["rep1 把客户 上海一号科技有限公司 共享给了你"]


def test_a_refused_share_notifies_nobody(users, rep1_customer):
    with pytest.raises(ValidationError):
        services.customer_share(
            actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="x"
        )
    assert not Notification.objects.exists()


def test_changing_the_owner_in_the_form_notifies_the_new_owner(
    client, users, rep1_customer
):
    # When the manager edits rep1's customer and hands it to rep2
    data = customer_form_data(rep1_customer, owner=users["rep2"].pk)
    response = client_for(client, users["manager"]).post(
        f"{rep1_customer.get_absolute_url()}edit/", data
    )
    assert response.status_code == 302
    # Then rep2 is told, and nobody else
    assert messages_of(users["rep2"]) == [
        "manager 把客户 上海一号科技有限公司 转给了你"
    ]
    assert Notification.objects.count() == 1


def test_an_edit_that_keeps_the_owner_notifies_nobody(users, rep1_customer):
    services.customer_update(
        actor=users["manager"],
        customer=rep1_customer,
        data={"remark": "改了备注"},
        expected_version=rep1_customer.version,
    )
    assert not Notification.objects.exists()


def reassign(users, count) -> int:
    from tests.factories import make_customer

    made = [make_customer(users["rep1"]) for _ in range(count)]
    with CaptureQueriesContext(connection) as ctx:
        services.customers_reassign(
            actor=users["manager"],
            customers=Customer.objects.filter(pk__in=[c.pk for c in made]),
            owner=users["rep2"],
        )
    return len(ctx.captured_queries)


def test_a_bulk_reassign_is_one_notification_with_a_count(users):
    reassign(users, 3)
    n = Notification.objects.get()
    assert n.recipient == users["rep2"]
    assert n.params["count"] == 3
    assert n.url == f"/customers/?owner={users['rep2'].pk}"
    assert messages_of(users["rep2"]) == ["manager 把 3 个客户转给了你"]


def test_a_bulk_reassign_costs_the_same_for_3_or_30(users):
    reassign(users, 2)  # warm the per-process permission caches
    few = reassign(users, 3)
    Notification.objects.all().delete()
    many = reassign(users, 30)
    assert few == many
    assert Notification.objects.get(recipient=users["rep2"]).params == {
        "count": 30,
        "actor_name": "manager",
    }


def test_reassigning_one_customer_names_it(users, rep1_customer):
    services.customers_reassign(
        actor=users["manager"],
        customers=Customer.objects.filter(pk=rep1_customer.pk),
        owner=users["rep2"],
    )
    n = Notification.objects.get()
    assert n.target == rep1_customer
    assert n.url == rep1_customer.get_absolute_url()
    assert messages_of(users["rep2"]) == [
        "manager 把客户 上海一号科技有限公司 转给了你"
    ]


def test_reassigning_to_the_current_owner_notifies_nobody(users, rep1_customer):
    services.customers_reassign(
        actor=users["manager"],
        customers=Customer.objects.filter(pk=rep1_customer.pk),
        owner=users["rep1"],
    )
    assert not Notification.objects.exists()
