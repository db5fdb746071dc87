"""Two saves from the same version at the same moment: one wins, one is stale."""

import threading

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection

from crm.features import StaleEdit
from crm.roles import sync_registered_roles
from customers import services
from customers.models import Customer


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_from_one_version_refuse_exactly_one(request):
    if connection.vendor != "postgresql":
        pytest.skip(
            "NEEDS POSTGRESQL: row locks between concurrent transactions are only "
            "meaningful there; run with DATABASE_URL=postgres://... to cover this"
        )
    # An earlier transactional test may have flushed what the migrations load.
    sync_registered_roles()
    call_command("load_reference", verbosity=0)
    users = request.getfixturevalue("users")
    make_customer = request.getfixturevalue("make_customer")
    customer = make_customer(users["rep1"], name="并发编辑有限公司")
    loaded = customer.version
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(city: str, actor):
        try:
            barrier.wait()
            services.customer_update(
                actor=actor,
                customer=customer,
                data={"city": city},
                expected_version=loaded,
            )
            outcomes[city] = "saved"
        except StaleEdit:
            outcomes[city] = "stale"
        except Exception as exc:  # pragma: no cover - reported below
            outcomes[city] = repr(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=save, args=("宁波", users["rep1"])),
        threading.Thread(target=save, args=("温州", users["manager"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes.values()) == ["saved", "stale"], outcomes
    stored = Customer.objects.get(pk=customer.pk)
    [winner] = [city for city, outcome in outcomes.items() if outcome == "saved"]
    assert stored.city == winner and stored.version == loaded + 1
