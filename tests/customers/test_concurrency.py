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
        pytest.skip(
            "threads share one in-memory SQLite; the process test covers SQLite"
        )
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


CREATE_MANY = """
from django.contrib.auth.models import User
from customers.models import Customer
owner = User.objects.get(username="owner")
for i in range(10):
    Customer.objects.create(name=f"进程客户{i}", owner=owner)
"""


def test_parallel_processes_on_a_sqlite_file_get_distinct_numbers(tmp_path):
    """Separate processes, each its own connection, on the default SQLite set-up."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "crm.settings.dev",
    }

    def manage(*args):
        return subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=root, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    assert manage("migrate", "-v0").wait() == 0
    setup = (
        "from django.contrib.auth.models import User; "
        "User.objects.create(username='owner')"
    )
    assert manage("shell", "-c", setup).wait() == 0
    procs = [manage("shell", "-c", CREATE_MANY) for _ in range(4)]
    outputs = [p.communicate()[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outputs
    count = manage(
        "shell", "-c",
        "from customers.models import Customer as C; "
        "n = list(C.objects.values_list('customer_no', flat=True)); "
        "print(len(n), len(set(n)))",
    )  # fmt: skip
    assert count.communicate()[0].split()[-2:] == ["40", "40"]
