"""The Django admin is for settings; records and audit trails are out of its reach."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from crm.models import CustomField, HistoryEntry, SecurityEvent
from customers.models import Customer, Tag
from tests.factories import client_for


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", password="pw-12345-test")


def test_nobody_deletes_a_security_event_not_even_a_superuser(client, superuser):
    # given a logged security event
    event = SecurityEvent.objects.create(kind="export", target="customers", rows=3)
    c = client_for(client, superuser)
    url = reverse("admin:crm_securityevent_delete", args=[event.pk])

    # when a superuser confirms its deletion in the admin
    response = c.post(url, {"post": "yes"})

    # then it is refused and the event is still there
    assert response.status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


def test_the_security_event_list_offers_no_delete_action(client, superuser):
    # given a logged security event
    event = SecurityEvent.objects.create(kind="export", target="customers", rows=3)
    c = client_for(client, superuser)
    url = reverse("admin:crm_securityevent_changelist")

    # when a superuser opens the list and tries the bulk delete anyway
    page = c.get(url)
    c.post(url, {"action": "delete_selected", "_selected_action": [event.pk]})

    # then the list opens without the action, and the event stays
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


def test_nobody_deletes_history_not_even_a_superuser(
    client, users, superuser, rep1_customer
):
    # given a customer's history
    entry = HistoryEntry.objects.filter(object_id=str(rep1_customer.pk)).first()
    assert entry is not None
    c = client_for(client, superuser)

    # when a superuser opens an entry and tries to delete it
    view = c.get(reverse("admin:crm_historyentry_change", args=[entry.pk]))
    delete = c.post(
        reverse("admin:crm_historyentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    # then they may read it but not delete it
    assert view.status_code == 200
    assert delete.status_code == 403
    assert HistoryEntry.objects.filter(pk=entry.pk).exists()


def test_customers_cannot_be_added_in_the_admin(client, superuser, users):
    # given a superuser in the admin
    c = client_for(client, superuser)

    # when they post a new customer there
    response = c.post(
        reverse("admin:customers_customer_add"),
        {"name": "后台新建有限公司", "owner": users["rep1"].pk},
    )

    # then it is refused and no customer appears
    assert response.status_code == 403
    assert not Customer.objects.filter(name="后台新建有限公司").exists()


def test_customers_are_read_only_in_the_admin(client, superuser, rep1_customer):
    # given a customer
    c = client_for(client, superuser)
    url = reverse("admin:customers_customer_change", args=[rep1_customer.pk])

    # when a superuser opens it in the admin and posts a change
    page = c.get(url)
    response = c.post(url, {"name": "改名有限公司", "owner": rep1_customer.owner_id})

    # then they can look but the change is refused and nothing moved
    assert page.status_code == 200
    assert rep1_customer.name in page.content.decode()
    assert response.status_code == 403
    rep1_customer.refresh_from_db()
    assert rep1_customer.name == "上海一号科技有限公司"


def test_customers_cannot_be_deleted_in_the_admin(client, superuser, rep1_customer):
    # given a customer
    c = client_for(client, superuser)
    url = reverse("admin:customers_customer_delete", args=[rep1_customer.pk])

    # when a superuser confirms its deletion in the admin
    response = c.post(url, {"post": "yes"})

    # then it is refused: deleting goes through the trash in the app
    assert response.status_code == 403
    assert Customer.objects.filter(pk=rep1_customer.pk).exists()


def test_settings_stay_editable_in_the_admin(client, superuser):
    # given a superuser in the admin
    c = client_for(client, superuser)

    # when they add a tag and a custom field
    tag = c.post(
        reverse("admin:customers_tag_add"), {"name": "新标签", "colour": "green"}
    )
    field = c.post(
        reverse("admin:crm_customfield_add"),
        {
            "target": "customer",
            "key": "channel",
            "label": "获客渠道",
            "field_type": "text",
            "order": 0,
        },
    )

    # then both are saved
    assert tag.status_code == 302 and Tag.objects.filter(name="新标签").exists()
    assert field.status_code == 302 and CustomField.objects.filter(key="channel")
