"""Importing payments: won deals only, never over the amount (the file's
rows and the stored payments together), re-imports not doubled."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import HistoryEntry
from opportunities import services
from opportunities.models import Payment, Stage
from tests.factories import client_for, make_customer, make_opportunity

from .helpers import errors, run

HEADER = ["机会ID", "回款金额", "回款日期", "回款方式", "备注"]


def give_import(user):
    user.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


@pytest.fixture
def won(users):
    customer = make_customer(users["rep1"], name="回款有限公司")
    return make_opportunity(
        users["rep1"], customer, stage=Stage.WON, amount=Decimal("100000")
    )


def test_payments_are_added_with_the_deals_history(users, won):
    result = run(
        "payments",
        [
            HEADER,
            [won.opp_no, "3万", "2024/3/1", "微信支付", "首付款"],
            [won.opp_no, 20000, "2024-03-15", None, None],
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert result.new == 2
    first, second = won.payments.order_by("received_on")
    assert (first.amount, first.method, first.note) == (
        Decimal("30000"),
        Payment.Method.WECHAT,
        "首付款",
    )
    assert second.method == Payment.Method.BANK and second.created_by == users["admin"]
    entry = HistoryEntry.objects.get(
        content_type__model="opportunity", object_id=str(won.pk), actor=users["admin"]
    )
    [change] = entry.changes
    assert change["field"] == "payments" and len(change["new"]) == 2


def test_reimporting_the_same_payments_does_not_double_them(users, won):
    rows = [
        HEADER,
        [won.opp_no, "10000", "2024-03-01", "银行转账", ""],
        [won.opp_no, "10000", "2024-03-01", "银行转账", ""],
    ]
    assert run("payments", rows, users["admin"]).new == 2
    again = run("payments", rows, users["admin"])
    assert again.ok and (again.new, again.unchanged) == (0, 2)
    # A third equal row is a new payment.
    third = run("payments", [*rows, rows[1]], users["admin"])
    assert (third.new, third.unchanged) == (1, 2)
    assert won.payments.count() == 3


def test_never_over_the_amount_counting_stored_and_file_rows(users, won):
    services.payment_add(
        actor=users["rep1"],
        opportunity=won,
        data={"amount": Decimal("60000"), "received_on": datetime.date(2024, 1, 1)},
    )
    result = run(
        "payments",
        [
            HEADER,
            [won.opp_no, "30000", "2024-03-01", None, None],
            [won.opp_no, "20000", "2024-03-02", None, None],
        ],
        users["admin"],
    )
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "回款金额"),
        (3, "回款金额"),
    ]
    assert won.payments.count() == 1
    assert run(
        "payments",
        [HEADER, [won.opp_no, "40000", "2024-03-01", None, None]],
        users["admin"],
    ).ok


def test_a_payment_recorded_meanwhile_is_rechecked_under_lock(users, won):
    from imports.specs import get_spec

    spec = get_spec("payments")
    original = type(spec).write

    def write(self, ctx):
        Payment.objects.create(
            opportunity=won,
            amount=Decimal("90000"),
            received_on=datetime.date(2024, 1, 1),
        )
        return original(self, ctx)

    type(spec).write = write
    try:
        result = run(
            "payments",
            [HEADER, [won.opp_no, "20000", "2024-03-01", None, None]],
            users["admin"],
        )
    finally:
        type(spec).write = original
    assert [(e.row, e.column) for e in result.errors] == [(2, "回款金额")]
    assert won.payments.count() == 0  # rolled back, the meanwhile one too


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        (["O20990101001", "1000", "2024-03-01"], "机会ID"),  # no such deal
        (["X1", "1000", "2024-03-01"], "机会ID"),
        (["{won}", "0", "2024-03-01"], "回款金额"),
        (["{won}", "-5", "2024-03-01"], "回款金额"),
        (["{won}", "很多", "2024-03-01"], "回款金额"),
        (["{won}", "1000", "2999-01-01"], "回款日期"),
        (["{won}", "1000", "昨天"], "回款日期"),
        (["{won}", None, "2024-03-01"], "回款金额"),
        (["{won}", "1000", None], "回款日期"),
        (["{won}", "1000", "2024-03-01", "比特币"], "回款方式"),
        (["{won}", "1000", "2024-03-01", None, "长" * 201], "备注"),
    ],
)
def test_each_bad_row_is_an_error_on_its_column(users, won, cells, column):
    cells = [won.opp_no if c == "{won}" else c for c in cells]
    cells += [None] * (5 - len(cells))
    result = run("payments", [HEADER, cells], users["admin"])
    assert [(e.row, e.column) for e in result.errors] == [(2, column)], errors(result)
    assert not Payment.objects.exists()


def test_open_deals_take_no_payments_and_one_error_writes_nothing(users, won):
    open_deal = make_opportunity(users["rep1"], won.customer)
    result = run(
        "payments",
        [
            HEADER,
            [won.opp_no, "1000", "2024-03-01", None, None],
            [open_deal.opp_no, "1000", "2024-03-01", None, None],
        ],
        users["admin"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "机会ID")]
    assert not Payment.objects.exists()


def test_hidden_and_read_only_deals(users, won):
    give_import(users["rep2"])
    give_import(users["success"])
    hidden = run(
        "payments", [HEADER, [won.opp_no, "1", "2024-03-01", None, None]], users["rep2"]
    )
    missing = run(
        "payments",
        [HEADER, ["O20990101001", "1", "2024-03-01", None, None]],
        users["rep2"],
    )
    assert errors(hidden) == errors(missing)  # a hidden deal is not revealed
    with pytest.raises(PermissionDenied):  # customer success works no deals
        run(
            "payments",
            [HEADER, [won.opp_no, "1", "2024-03-01", None, None]],
            users["success"],
        )
    give_import(users["rep1"])
    assert run(
        "payments", [HEADER, [won.opp_no, "1", "2024-03-01", None, None]], users["rep1"]
    ).ok


def test_the_query_count_does_not_grow_with_rows(users, won):
    def count(n):
        rows = [HEADER] + [
            [won.opp_no, "1", f"2024-01-{i % 28 + 1:02d}", None, f"{n}-{i}"]
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = run("payments", rows, users["admin"])
        assert result.ok, errors(result)
        return len(ctx.captured_queries)

    count(2)
    assert count(40) == count(4)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_reimporting_an_export_changes_nothing(client, users, won, fmt):
    from imports.engine import run_import
    from imports.mapping import auto_map
    from imports.reading import read_table
    from imports.specs import get_spec

    for amount, note in (("1000.50", "首付 <b>款</b>"), ("2000", "")):
        services.payment_add(
            actor=users["rep1"],
            opportunity=won,
            data={
                "amount": Decimal(amount),
                "received_on": datetime.date(2024, 3, 1),
                "method": Payment.Method.ALIPAY,
                "note": note,
            },
        )
    admin = users["admin"]
    response = client_for(client, admin).get(
        "/opportunities/export/payments/", {"format": fmt}
    )
    table = read_table(b"".join(response.streaming_content), filename=f"e.{fmt}")
    spec = get_spec("payments")
    mapping = auto_map(spec, table.headers)
    assert None not in mapping.values(), mapping
    result = run_import(spec, table, mapping, user=admin, dry_run=True)
    assert result.errors == []
    assert (result.new, result.unchanged) == (0, 2)
