"""Record features (crm/features.py): the version check refuses stale saves."""

import pytest

from crm.features import StaleEdit
from customers import services
from customers.models import Customer
from tests.factories import client_for, customer_form_data


@pytest.fixture
def moved_on(users, rep1_customer):
    """rep1's customer, saved by the manager after rep1 loaded it."""
    loaded = rep1_customer.version
    services.customer_update(
        actor=users["manager"],
        customer=rep1_customer,
        data={"city": "宁波"},
        expected_version=loaded,
    )
    return rep1_customer, loaded


def test_check_version_refuses_a_version_that_moved_on(moved_on):
    customer, loaded = moved_on
    with pytest.raises(StaleEdit) as stale:
        customer.check_version(loaded)
    assert stale.value.current.city == "宁波"
    assert [e.version for e in stale.value.entries] == [loaded + 1]
    customer.check_version(loaded + 1)  # the current version passes


def test_lock_version_refuses_a_version_that_moved_on(moved_on):
    customer, loaded = moved_on
    with pytest.raises(StaleEdit):
        Customer.lock_version(customer.pk, loaded)
    assert Customer.lock_version(customer.pk, loaded + 1).city == "宁波"


def test_a_stale_save_with_contacts_is_refused(client, users, moved_on):
    # Given rep1's edit form, loaded before the manager's save, with the
    # contact renamed
    customer, loaded = moved_on
    data = customer_form_data(
        customer, city="温州", version=loaded, **{"contacts-0-name": "王芳"}
    )
    # When rep1 saves it
    response = client_for(client, users["rep1"]).post(
        f"/customers/{customer.customer_no}/edit/", data
    )
    # Then nothing of it is saved and the form says what changed meanwhile
    assert response.status_code == 200
    assert response.context["stale_entries"]
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.city == "宁波" and stored.version == loaded + 1
    assert list(stored.contacts.values_list("name", flat=True)) == ["张伟"]
