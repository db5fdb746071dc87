"""Details of the customer services that a user would notice going wrong."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from crm.models import SecurityEvent
from customers import services
from tests.factories import contact


def test_an_imported_creation_time_gives_the_number_of_that_day(users, make_customer):
    created = timezone.make_aware(datetime.datetime(2023, 6, 1, 10, 30))
    customer = make_customer(users["rep1"], created_at=created)
    assert customer.customer_no == "C20230601001"


def test_the_primary_contact_can_move_to_a_contact_listed_first(users, make_customer):
    # Given A is the primary contact and B is not
    customer = make_customer(
        users["rep1"],
        contacts=[contact(name="甲", is_primary=True), contact(name="乙")],
    )
    a, b = customer.contacts.order_by("id")
    # When B, listed first, becomes primary in one save
    services.customer_update(
        actor=users["rep1"],
        customer=customer,
        data={},
        expected_version=customer.version,
        contacts=[
            services.ContactData(name="乙", is_primary=True, id=b.pk),
            services.ContactData(name="甲", is_primary=False, id=a.pk),
        ],
    )
    # Then B is the only primary contact
    assert list(customer.contacts.filter(is_primary=True)) == [b]


def test_two_primary_contacts_are_refused_with_a_clear_message(users, make_customer):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make_customer(
            users["rep1"],
            contacts=[
                contact(name="甲", is_primary=True),
                contact(name="乙", is_primary=True),
            ],
        )
    assert exc.value.messages == ["Mark only one contact as the primary contact."]


@pytest.mark.parametrize(
    "field, role, message",
    [
        (
            "owner",
            "service",
            "陈静's role cannot own customers; choose a sales colleague.",
        ),
        (
            "success_manager",
            "rep2",
            "rep2's role does not look after customers; choose a customer success "
            "colleague.",
        ),
    ],
)
def test_a_holder_the_role_rules_refuse_is_named_in_the_message(
    users, rep1_customer, field, role, message
):
    user = users[role]
    if role == "service":
        user.first_name, user.last_name = "陈静", ""
        user.save()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.customer_update(
            actor=users["manager"],
            customer=rep1_customer,
            data={field: user},
            expected_version=rep1_customer.version,
        )
    assert exc.value.message_dict[field] == [message]


def test_an_edit_that_keeps_the_holders_audits_no_grant(users, rep1_customer):
    before = SecurityEvent.objects.count()
    services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={"city": "宁波"},
        expected_version=rep1_customer.version,
    )
    assert SecurityEvent.objects.count() == before


def test_holder_changes_are_audited_under_the_actor(users, rep1_customer):
    services.customer_update(
        actor=users["manager"],
        customer=rep1_customer,
        data={"owner": users["rep2"], "success_manager": users["success"]},
        expected_version=rep1_customer.version,
    )
    events = SecurityEvent.objects.filter(kind__in=["grant", "revoke"]).exclude(
        detail={"detail": "owner"}, actor=users["rep1"]
    )
    assert {(e.kind, e.actor, e.detail["detail"]) for e in events} == {
        ("revoke", users["manager"], "owner"),
        ("grant", users["manager"], "owner"),
        ("grant", users["manager"], "success_manager"),
    }
