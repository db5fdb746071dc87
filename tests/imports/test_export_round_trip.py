"""Re-importing an export changes nothing (DESIGN §6): the customer export,
as .xlsx and as CSV, read back through the import engine's dry run."""

import datetime
from decimal import Decimal

import pytest

from customers.models import Customer, Tag
from tests.factories import client_for, contact, make_customer, valid_code


@pytest.fixture
def customers(users):
    full = make_customer(
        users["rep1"],
        name="上海往返科技有限公司",
        credit_code=valid_code(),
        size=Customer.Size.S2,
        city="浦东新区",
        address="张江路 1 号",
        level="A",
        status=Customer.Status.ACTIVE,
        first_cooperation_date=datetime.date(2023, 6, 1),
        historical_amount=Decimal("1234567.50"),
        products="SaaS",
        success_manager=users["success"],
        renewal_date=datetime.date(2025, 1, 31),
        tags=list(Tag.objects.filter(name__in=["重点客户", "风险客户"])),
        contacts=[contact(phone="+86 138 1234 5678")],
    )
    bare = make_customer(users["rep2"], name="杭州往返网络有限公司")
    return [full, bare]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_reimporting_an_export_changes_nothing(client, users, customers, fmt):
    from imports.engine import run_import
    from imports.mapping import auto_map
    from imports.reading import read_table
    from imports.specs import get_spec

    admin = users["admin"]
    response = client_for(client, admin).get("/customers/export/", {"format": fmt})
    data = b"".join(response.streaming_content)
    table = read_table(data, filename=f"export.{fmt}")
    spec = get_spec("customers")
    mapping = auto_map(spec, table.headers)
    assert None not in mapping.values(), mapping
    result = run_import(spec, table, mapping, user=admin, dry_run=True)
    assert result.errors == []
    assert (result.new, result.updated, result.unchanged) == (0, 0, 2)
