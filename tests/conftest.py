"""Shared fixtures; each one calls a builder in `tests/factories.py`."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache

from customers.models import Customer
from tests import factories

# Deprecated re-exports, kept for one step so test files written against the
# old conftest keep working; import these from `tests.factories` instead.
from tests.factories import (  # noqa: F401
    ROLE_USERS,
    client_for,
    customer_form_data,
    make_user,
)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache.

    The cache outlives the rolled-back rows of a test, and its entries expire
    on the clock: the company name every page shows is cached for five
    minutes, so a query-budget test that met the entry's expiry counted one
    query more in one of its requests (CI: 14 against 13 on the board, once
    on the deal list). Emptied here, the entry is set by a test's first page
    and outlives the test.
    """
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def users(db) -> dict[str, User]:
    if not Group.objects.exists():
        # A transactional test earlier in the run emptied the tables.
        factories.restore_migrated_rows()
    return factories.make_users()


@pytest.fixture
def make_customer(db):
    return factories.make_customer


@pytest.fixture
def rep1_customer(users) -> Customer:
    return factories.make_customer(
        users["rep1"],
        name="上海一号科技有限公司",
        contacts=[factories.contact()],
    )


@pytest.fixture
def rep2_customer(users) -> Customer:
    return factories.make_customer(
        users["rep2"],
        name="杭州二号网络有限公司",
        contacts=[
            factories.contact(
                name="李娜", title="总经理", phone="13987654321", email="ln@b.com"
            )
        ],
    )
