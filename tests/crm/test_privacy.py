"""Who sees a customer's contact details unmasked (crm/privacy.py)."""

import pytest

from crm import privacy
from customers import services
from customers.models import Customer


def flags(user) -> dict[str, bool]:
    rows = privacy.annotate_contact_visibility(Customer.objects.all(), user)
    # SQL may answer NULL for "no" (a NULL success manager): masked all the same.
    return {c.name: bool(c.contacts_visible) for c in rows}


@pytest.fixture
def managed(users, make_customer):
    return make_customer(
        users["rep1"], name="续约客户有限公司", success_manager=users["success"]
    )


def test_editors_and_the_success_manager_see_contact_details(
    users, rep1_customer, managed
):
    assert flags(users["rep1"]) == {rep1_customer.name: True, managed.name: True}
    assert flags(users["manager"]) == {rep1_customer.name: True, managed.name: True}
    assert flags(users["success"]) == {rep1_customer.name: False, managed.name: True}


def test_view_only_readers_see_masked_details(users, rep1_customer, managed):
    assert flags(users["service"]) == {rep1_customer.name: False, managed.name: False}
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="view"
    )
    assert flags(users["rep2"])[rep1_customer.name] is False


def test_may_see_contact_details_per_record(users, rep1_customer, managed):
    qs = Customer.objects.all()
    assert privacy.may_see_contact_details(qs, users["admin"], rep1_customer.pk)
    assert privacy.may_see_contact_details(qs, users["success"], managed.pk)
    assert not privacy.may_see_contact_details(qs, users["success"], rep1_customer.pk)
    assert not privacy.may_see_contact_details(qs, users["service"], managed.pk)


@pytest.mark.parametrize(
    "value, visible, kind, shown",
    [
        ("13812345678", False, "phone", "138****5678"),
        ("13812345678", True, "phone", "13812345678"),
        ("zw@a.com", False, "email", "z***@a.com"),
        ("电话 13812345678", False, "text", "电话 138****5678"),
        ("", False, "phone", ""),
        ("12345", False, "phone", "****"),
        ("no-at-sign", False, "email", "****"),
    ],
)
def test_reveal(value, visible, kind, shown):
    assert privacy.reveal(value, visible, kind) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        ("", ""),
        ("no-at-sign", "****"),
        ("zw@a.com", "z***@a.com"),
        ("a@b@c.com", "a***@b@c.com"),
    ],
)
def test_mask_email(value, shown):
    assert privacy.mask_email(value) == shown
