"""Parallel creations never get the same customer number."""

import threading

import pytest
from django.db import close_old_connections, connection

from customers.models import Customer


@pytest.mark.django_db(transaction=True)
def test_parallel_creations_get_distinct_numbers(users, make_customer):
    if connection.vendor == "sqlite" and "memory" in str(
        connection.settings_dict["NAME"]
    ):
        pytest.skip("in-memory SQLite is one connection; run on a file or PostgreSQL")
    errors, barrier = [], threading.Barrier(8)

    def create(i):
        try:
            barrier.wait()
            for j in range(5):
                make_customer(users["rep1"], name=f"并发客户{i}-{j}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = list(Customer.objects.values_list("customer_no", flat=True))
    assert len(numbers) == 40 == len(set(numbers))
    assert sorted(int(n[9:]) for n in numbers) == list(range(1, 41))
