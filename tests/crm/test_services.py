"""The trash (crm/services.py): every move is audited with who made it."""

import pytest

from crm.models import HistoryEntry, SecurityEvent
from customers import services
from customers.models import Customer


def test_delete_restore_and_purge_are_audited_with_their_actor(users, rep1_customer):
    admin, number = users["admin"], rep1_customer.customer_no
    services.customer_delete(actor=admin, customer=rep1_customer)
    services.customer_restore(actor=admin, customer=rep1_customer)
    services.customer_delete(actor=admin, customer=rep1_customer)
    services.customer_purge(actor=admin, customer=rep1_customer)

    kinds = SecurityEvent.Kind
    audited = list(
        SecurityEvent.objects.filter(
            kind__in=[kinds.DELETE, kinds.RESTORE, kinds.PURGE]
        )
        .order_by("pk")
        .values_list("kind", "actor__username", "target")
    )
    assert audited == [
        (kinds.DELETE, "admin", number),
        (kinds.RESTORE, "admin", number),
        (kinds.DELETE, "admin", number),
        (kinds.PURGE, "admin", number),
    ]
    assert not Customer.objects.filter(pk=rep1_customer.pk).exists()
    assert not HistoryEntry.objects.filter(object_id=str(rep1_customer.pk)).exists()


def test_only_a_trashed_record_can_be_purged(users, rep1_customer):
    with pytest.raises(ValueError):
        services.customer_purge(actor=users["admin"], customer=rep1_customer)
    assert Customer.objects.filter(pk=rep1_customer.pk).exists()
