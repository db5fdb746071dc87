"""Plain functions that build test data the way the application does.

Fixtures in `tests/conftest.py` call these; test modules import them from
here, never from conftest or from another test module.
"""

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.test import Client

from crm import roles
from customers import services
from customers.models import Customer, Industry, Region
from customers.validators import credit_code_check_char

PASSWORD = "pw-12345-test"

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
    user = User.objects.create_user(username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role == roles.ADMIN:
        user.is_staff = True
        user.save()
    return user


def make_users() -> dict[str, User]:
    return {name: make_user(name, role) for name, role in ROLE_USERS.items()}


def make_customer(owner: User, **data) -> Customer:
    """A customer created through `customer_create`, as the UI creates one."""
    contacts = data.pop("contacts", [])
    tags = data.pop("tags", [])
    data.setdefault("name", f"测试客户{next(_names)}有限公司")
    data.setdefault("industry", Industry.objects.get(code="65"))
    data.setdefault("region", Region.objects.get(code="31"))
    data.setdefault("owner", owner)
    return services.customer_create(
        actor=owner, data=data, tags=tags, contacts=contacts
    )


def contact(**data) -> services.ContactData:
    data.setdefault("name", "张伟")
    data.setdefault("title", "采购总监")
    data.setdefault("phone", "13812345678")
    data.setdefault("email", "zw@a.com")
    return services.ContactData(**data)


def client_for(client: Client, user: User) -> Client:
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
    for i, c in enumerate(contacts):
        data.update(
            {
                f"contacts-{i}-id": c.pk,
                f"contacts-{i}-name": c.name,
                f"contacts-{i}-title": c.title,
                f"contacts-{i}-phone": c.phone,
                f"contacts-{i}-email": c.email,
                f"contacts-{i}-is_primary": "on" if c.is_primary else "",
            }
        )
    data.update(changes)
    return data


def valid_code(body17: str = "91330100MA27XK9X5") -> str:
    """A unified social credit code with a correct check character."""
    return body17 + credit_code_check_char(body17)


def restore_migrated_rows() -> None:
    """Put back the rows the data migrations seed (roles and their grants,
    industries, provinces, tags) after a transactional test emptied the tables.

    Every step is idempotent. The flush re-creates content types and
    permissions through post_migrate, unless a serialized-rollback test
    inhibited it, in which case the signal is sent here first."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.sql import emit_post_migrate_signal

    from customers.models import Industry, Region, Tag
    from customers.reference import load_reference, seed_tags

    if not ContentType.objects.exists() or not Permission.objects.exists():
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    load_reference(Industry, Region)
    seed_tags(Tag)
    roles.sync_registered_roles()


def make_ticket(actor: User, customer: Customer, **data):
    """A ticket opened through `ticket_open`, as the ticket form opens one."""
    from followups import ticket_services

    assignee = data.pop("assignee", None)
    created_at = data.pop("created_at", None)
    data.setdefault("kind", "complaint")
    data.setdefault("priority", "medium")
    data.setdefault("subject", "系统无法登录")
    data.setdefault("description", "客户反映今天上午无法登录系统。")
    data.setdefault("contact", None)
    return ticket_services.ticket_open(
        actor=actor,
        customer=customer,
        data=data,
        assignee=assignee,
        created_at=created_at,
    )


def make_followup(actor: User, customer: Customer, **data):
    """A follow-up logged through `followup_create`, as the log form does."""
    from followups import services as followup_services

    data.setdefault("method", "phone")
    data.setdefault("content", "电话沟通采购计划")
    return followup_services.followup_create(actor=actor, customer=customer, data=data)


def make_opportunity(actor: User, customer: Customer, *, stage=None, **data):
    """An opportunity created through the service (stage: an open one), then
    moved to `stage` through the stage service when it is 成交/售后 or lost."""
    from opportunities import services as opportunity_services
    from opportunities.models import OPEN_STAGES, Stage

    data.setdefault("name", f"测试机会{next(_names)}")
    data.setdefault("amount", Decimal("100000.00"))
    opportunity = opportunity_services.opportunity_create(
        actor=actor,
        customer=customer,
        data=data,
        stage=stage if stage in OPEN_STAGES else Stage.LEAD,
    )
    if stage == Stage.LOST:
        opportunity = opportunity_services.opportunity_lose(
            actor=actor,
            opportunity=opportunity,
            reason="价格偏高",
            expected_version=opportunity.version,
        )
    elif stage is not None and stage not in OPEN_STAGES:
        opportunity = opportunity_services.opportunity_move(
            actor=actor,
            opportunity=opportunity,
            stage=stage,
            expected_version=opportunity.version,
        )
    return opportunity
