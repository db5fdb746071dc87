"""Shared fixtures: one user per role, and customers created the way the UI does."""

import itertools

import pytest
from django.contrib.auth.models import Group, User

from crm import roles
from customers import services
from customers.models import Customer, Industry, Region

ROLE_USERS = {
    "admin": roles.ADMIN,
    "manager": roles.SALES_MANAGER,
    "rep1": roles.SALES_REP,
    "rep2": roles.SALES_REP,
    "service": roles.SERVICE,
    "success": roles.SUCCESS,
}

_names = itertools.count(1)


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username, password="pw-12345-test")
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role == roles.ADMIN:
        user.is_staff = True
        user.save()
    return user


@pytest.fixture
def users(db) -> dict[str, User]:
    return {name: make_user(name, role) for name, role in ROLE_USERS.items()}


@pytest.fixture
def make_customer(db):
    def make(owner: User, **data) -> Customer:
        contacts = data.pop("contacts", [])
        tags = data.pop("tags", [])
        data.setdefault("name", f"测试客户{next(_names)}有限公司")
        data.setdefault("industry", Industry.objects.get(code="65"))
        data.setdefault("region", Region.objects.get(code="31"))
        data.setdefault("owner", owner)
        return services.customer_create(
            actor=owner, data=data, tags=tags, contacts=contacts
        )

    return make


@pytest.fixture
def rep1_customer(users, make_customer) -> Customer:
    return make_customer(
        users["rep1"],
        name="上海一号科技有限公司",
        contacts=[
            services.ContactData(
                name="张伟", title="采购总监", phone="13812345678", email="zw@a.com"
            )
        ],
    )


@pytest.fixture
def rep2_customer(users, make_customer) -> Customer:
    return make_customer(
        users["rep2"],
        name="杭州二号网络有限公司",
        contacts=[
            services.ContactData(
                name="李娜", title="总经理", phone="13987654321", email="ln@b.com"
            )
        ],
    )


def client_for(client, user):
    client.force_login(user)
    return client


def customer_form_data(customer: Customer | None = None, **changes) -> dict:
    """What the customer form posts: `customer` as it stands (or a minimal new
    customer without contacts), plus `changes`."""
    contacts = list(customer.contacts.all()) if customer else []
    data = {
        "name": customer.name if customer else "新建测试有限公司",
        "type": customer.type if customer else Customer.Type.ENTERPRISE,
        "industry": (customer.industry_id or "") if customer else "",
        "region": (customer.region_id or "") if customer else "",
        "level": customer.level if customer else Customer.Level.C,
        "status": customer.status if customer else Customer.Status.POTENTIAL,
        "historical_amount": str(customer.historical_amount) if customer else "0",
        "owner": customer.owner_id if customer else "",
        "version": customer.version if customer else "",
        "contacts-TOTAL_FORMS": str(len(contacts)),
        "contacts-INITIAL_FORMS": str(len(contacts)),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for i, contact in enumerate(contacts):
        data.update(
            {
                f"contacts-{i}-id": contact.pk,
                f"contacts-{i}-name": contact.name,
                f"contacts-{i}-title": contact.title,
                f"contacts-{i}-phone": contact.phone,
                f"contacts-{i}-email": contact.email,
                f"contacts-{i}-is_primary": "on" if contact.is_primary else "",
            }
        )
    data.update(changes)
    return data
