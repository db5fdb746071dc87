"""'Export this view' of the opportunity list and the payments of its deals:
admins only, the filters and sort on screen, DESIGN §6's headers and values
the import reads back, no query per row."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from crm import parsing
from crm.models import SecurityEvent
from opportunities import services
from opportunities.models import Stage
from tests.factories import client_for, make_customer, make_opportunity

DEALS, PAYMENTS = "/opportunities/export/", "/opportunities/export/payments/"


def csv_dicts(response) -> list[dict]:
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_dicts(response) -> list[dict]:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header, *rows = book.active.iter_rows(values_only=True)
    return [dict(zip(header, r, strict=True)) for r in rows]


@pytest.fixture
def admin(client, users):
    return client_for(client, users["admin"])


@pytest.fixture
def customer(users):
    return make_customer(users["rep1"])


def pay(users, deal, amount, note=""):
    return services.payment_add(
        actor=users["rep1"],
        opportunity=deal,
        data={
            "amount": Decimal(amount),
            "received_on": timezone.localdate(),
            "method": "wechat",
            "note": note,
        },
    )


def test_deals_export_with_the_design_headers(admin, users, customer):
    deal = make_opportunity(
        users["rep1"],
        customer,
        name="+年度框架",
        amount=Decimal("250000.10"),
        expected_close_date=datetime.date(2025, 6, 30),
        competitor="友商",
    )
    [row] = csv_dicts(admin.get(DEALS))
    assert list(row)[:14] == [
        "机会ID", "机会名称", "客户ID", "销售阶段", "输单阶段", "输单原因",
        "预计成交金额", "预计成交日期", "赢单概率", "竞争对手", "客户对比关注点",
        "负责人", "创建时间", "成交时间",
    ]  # fmt: skip
    assert row["机会ID"] == deal.opp_no and row["机会名称"] == "'+年度框架"
    assert row["客户ID"] == customer.customer_no
    assert row["销售阶段"] == "线索" and row["负责人"] == "rep1"
    assert row["预计成交金额"] == "250000.10" and row["赢单概率"] == "10"
    assert parsing.parse_amount(row["预计成交金额"]) == deal.amount
    assert parsing.parse_date(row["预计成交日期"]) == deal.expected_close_date
    [cells] = xlsx_dicts(admin.get(DEALS, {"format": "xlsx"}))
    assert cells["预计成交金额"] == 250000.1
    assert cells["预计成交日期"] == datetime.datetime(2025, 6, 30)
    assert cells["赢单概率"] == 10 and cells["成交时间"] is None


def test_lost_and_won_deals_carry_their_stage_labels(admin, users, customer):
    make_opportunity(users["rep1"], customer, stage=Stage.LOST)
    make_opportunity(users["rep1"], customer, stage=Stage.WON)
    rows = csv_dicts(admin.get(DEALS, {"ordering": "stage"}))
    by_stage = {r["销售阶段"]: r for r in rows}
    assert by_stage["输单"]["输单阶段"] == "线索"
    assert by_stage["输单"]["输单原因"] == "价格偏高"
    assert by_stage["成交"]["成交时间"] != ""


def test_deals_keep_the_filters_and_sort(admin, users, customer):
    small = make_opportunity(users["rep1"], customer, amount=Decimal("1000"))
    big = make_opportunity(users["rep1"], customer, amount=Decimal("900000"))
    make_opportunity(users["rep2"], make_customer(users["rep2"]))
    rows = csv_dicts(
        admin.get(DEALS, {"owner": users["rep1"].pk, "ordering": "-amount"})
    )
    assert [r["机会ID"] for r in rows] == [big.opp_no, small.opp_no]
    event = SecurityEvent.objects.get(kind="export")
    assert event.target == "opportunities" and event.rows == 2


def test_payments_of_the_deals_in_view(admin, users, customer):
    won = make_opportunity(users["rep1"], customer, stage=Stage.WON)
    other = make_opportunity(
        users["rep2"], make_customer(users["rep2"]), stage=Stage.WON
    )
    pay(users, won, "30000.5", note="=首付")
    services.payment_add(
        actor=users["rep2"],
        opportunity=other,
        data={
            "amount": Decimal("1"),
            "received_on": timezone.localdate(),
            "method": "bank",
        },
    )
    rows = csv_dicts(admin.get(PAYMENTS, {"owner": users["rep1"].pk}))
    assert rows == [
        {
            "机会ID": won.opp_no,
            "回款金额": "30000.50",
            "回款日期": timezone.localdate().isoformat(),
            "回款方式": "微信支付",
            "备注": "'=首付",
        }
    ]
    assert len(csv_dicts(admin.get(PAYMENTS))) == 2
    [cells] = xlsx_dicts(
        admin.get(PAYMENTS, {"owner": users["rep1"].pk, "format": "xlsx"})
    )
    assert cells["回款金额"] == 30000.5
    event = SecurityEvent.objects.filter(kind="export").latest("id")
    assert event.target == "payments" and event.rows == 1


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        b"".join(client.get(url).streaming_content)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [DEALS, PAYMENTS])
def test_queries_do_not_grow_with_rows(admin, users, url):
    def grow(n):
        for i in range(n):
            owner = users["rep1"] if i % 2 else users["rep2"]
            deal = make_opportunity(owner, make_customer(owner), stage=Stage.WON)
            services.payment_add(
                actor=owner,
                opportunity=deal,
                data={
                    "amount": Decimal("10"),
                    "received_on": timezone.localdate(),
                    "method": "bank",
                },
            )

    grow(2)
    count_queries(admin, url)
    few = count_queries(admin, url)
    grow(10)
    assert count_queries(admin, url) == few


@pytest.mark.parametrize("url", [DEALS, PAYMENTS])
@pytest.mark.parametrize("role", ["manager", "rep1", "service", "success"])
def test_only_admins_export(client, users, url, role):
    assert client_for(client, users[role]).get(url).status_code == 403


def test_the_list_offers_deals_and_payments_with_the_filters_on_screen(client, users):
    admin = client_for(client, users["admin"])
    partial = admin.get(
        "/opportunities/", {"stage": "lead"}, headers={"HX-Request": "true"}
    ).content.decode()
    [menu] = re.findall(r'<div [^>]*id="export-menu-panel"[^>]*>', partial)
    assert 'hx-swap-oob="true"' in menu
    assert f'href="{DEALS}?format=xlsx&amp;stage=lead"' in partial
    assert f'href="{PAYMENTS}?stage=lead"' in partial
    manager = client_for(client, users["manager"])
    assert "export-menu" not in manager.get("/opportunities/").content.decode()
