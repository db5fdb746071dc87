"""The streamed export (imports/exporting.py) through the customer list's:
CSV and .xlsx, the filters and sort on screen, formulas neutralised, contact
details masked, every export logged, queries per batch never per row, and
values that the import's parsers read back as they were."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Value
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from crm import parsing
from crm.models import CustomField, SecurityEvent
from customers.models import Customer, Tag
from customers.resources import customer_export
from imports import exporting
from tests.factories import client_for, contact, make_customer, valid_code

URL = "/customers/export/"


def body(response) -> bytes:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    assert response["Content-Type"] == exporting.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(body(response)), read_only=True)
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def as_dicts(rows) -> list[dict]:
    header, *data = rows
    return [dict(zip(header, r, strict=True)) for r in data]


@pytest.fixture
def admin(client, users):
    return client_for(client, users["admin"])


@pytest.fixture
def full_customer(users):
    """A customer with every exported column filled."""
    customer = make_customer(
        users["rep1"],
        name="上海全字段科技有限公司",
        credit_code=valid_code(),
        type=Customer.Type.ENTERPRISE,
        size=Customer.Size.S2,
        city="浦东新区",
        address="张江路 1 号",
        level="A",
        status=Customer.Status.ACTIVE,
        first_cooperation_date=datetime.date(2023, 6, 1),
        historical_amount=Decimal("1234567.5"),
        products="SaaS",
        success_manager=users["success"],
        renewal_date=datetime.date(2025, 1, 31),
        tags=list(Tag.objects.filter(name__in=["重点客户", "风险客户"])),
        contacts=[contact()],
    )
    return customer


def test_csv_has_the_design_headers_a_bom_and_values_as_the_import_reads_them(
    admin, full_customer
):
    response = admin.get(URL)
    rows = csv_rows(response)
    assert rows[0][:23] == [
        "客户ID", "客户名称", "统一社会信用代码", "客户类型", "所属行业", "公司规模",
        "省份", "城市", "注册地址", "客户等级", "客户状态", "首次合作时间",
        "历史合作金额", "合作产品/服务", "客户标签", "负责人", "客户成功经理",
        "续约日期", "联系人姓名", "联系人职务", "联系方式", "邮箱", "创建时间",
    ]  # fmt: skip
    [row] = as_dicts(rows)
    c = full_customer
    assert row["客户ID"] == c.customer_no
    assert row["客户类型"] == "企业"
    assert row["客户状态"] == "成交客户"
    assert row["所属行业"] == c.industry.name and row["省份"] == c.region.name
    assert row["首次合作时间"] == "2023-06-01" and row["续约日期"] == "2025-01-31"
    assert row["历史合作金额"] == "1234567.50"
    assert sorted(row["客户标签"].split("、")) == sorted(["风险客户", "重点客户"])
    assert row["负责人"] == "rep1" and row["客户成功经理"] == "success"
    assert row["联系方式"] == "13812345678" and row["邮箱"] == "zw@a.com"
    created = timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")
    assert row["创建时间"] == created
    # Round trip: the import's parsers read back what was stored.
    assert parsing.parse_amount(row["历史合作金额"]) == c.historical_amount
    assert parsing.parse_date(row["续约日期"]) == c.renewal_date
    assert parsing.parse_datetime(row["创建时间"]) == timezone.localtime(
        c.created_at
    ).replace(second=0, microsecond=0)
    assert response["Content-Disposition"].endswith('.csv"')


def test_choice_labels_and_headers_stay_chinese_in_english(admin, full_customer):
    admin.cookies["django_language"] = "en"
    [row] = as_dicts(csv_rows(admin.get(URL, HTTP_ACCEPT_LANGUAGE="en")))
    assert row["客户类型"] == "企业"


def test_xlsx_opens_with_typed_cells(admin, full_customer):
    response = admin.get(URL, {"format": "xlsx"})
    [row] = as_dicts(xlsx_rows(response))
    c = full_customer
    assert row["客户名称"] == c.name
    assert row["历史合作金额"] == 1234567.5
    assert row["续约日期"] == datetime.datetime(2025, 1, 31)
    assert sorted(row["客户标签"].split("、")) == sorted(["风险客户", "重点客户"])
    assert row["联系方式"] == "13812345678"
    local = timezone.localtime(c.created_at).replace(tzinfo=None)
    assert row["创建时间"] == local.replace(second=0, microsecond=0)
    assert row["客户成功经理"] == "success"
    # The parsers read the typed cells back too.
    assert parsing.parse_amount(row["历史合作金额"]) == c.historical_amount
    assert parsing.parse_date(row["续约日期"]) == c.renewal_date
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert (event.target, event.rows, event.detail["format"]) == (
        "customers",
        1,
        "xlsx",
    )


def test_the_xlsx_reads_back_through_the_import_reader(admin, full_customer):
    from imports.reading import read_table

    data = body(admin.get(URL, {"format": "xlsx"}))
    table = read_table(data, filename="export.xlsx")
    assert table.headers[0] == "客户ID"
    assert table.rows[0][0] == full_customer.customer_no
    assert parsing.parse_date(table.rows[0][17]) == full_customer.renewal_date


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_are_neutralised_in_cells_and_headers(admin, users, fmt):
    CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="evil",
        label="=HYPERLINK(1)",
        field_type=CustomField.Type.TEXT,
    )
    customer = make_customer(
        users["rep1"],
        name="=1+2",
        address="@SUM(A1)",
        products="-2+3",
        contacts=[contact(name="+cmd|' /C calc'!A0")],
    )
    Customer.objects.filter(pk=customer.pk).update(custom={"evil": "=A1"})
    rows = (csv_rows if fmt == "csv" else xlsx_rows)(admin.get(URL, {"format": fmt}))
    assert rows[0][-1] == "'=HYPERLINK(1)"
    [row] = as_dicts(rows)
    assert row["客户名称"] == "'=1+2"
    assert row["注册地址"] == "'@SUM(A1)"
    assert row["合作产品/服务"] == "'-2+3"
    assert row["联系人姓名"] == "'+cmd|' /C calc'!A0"
    assert row["'=HYPERLINK(1)"] == "'=A1"


def test_control_characters_do_not_break_the_workbook(admin, users):
    # Written past the form (which cleans names), as an old import might have.
    customer = make_customer(users["rep1"])
    Customer.objects.filter(pk=customer.pk).update(name="坏字符\x01\x1f<&>有限公司")
    [row] = as_dicts(xlsx_rows(admin.get(URL, {"format": "xlsx"})))
    assert row["客户名称"] == "坏字符<&>有限公司"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_filters_and_sort_on_screen_are_kept(admin, users, fmt):
    for name, level in (("乙公司", "A"), ("甲公司", "A"), ("丙公司", "C")):
        make_customer(users["rep1"], name=name, level=level)
    read = csv_rows if fmt == "csv" else xlsx_rows
    up = read(admin.get(URL, {"format": fmt, "level": "A", "ordering": "name"}))
    down = read(admin.get(URL, {"format": fmt, "level": "A", "ordering": "-name"}))
    assert [r[1] for r in up[1:]] == sorted(["乙公司", "甲公司"])
    assert [r[1] for r in down[1:]] == sorted(["乙公司", "甲公司"], reverse=True)
    event = SecurityEvent.objects.filter(kind="export").latest("id")
    assert event.rows == 2 and event.detail["query"] == "level=A&ordering=-name"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_masked_contacts_stay_masked_for_a_reader_who_may_not_see_them(
    client, users, rep1_customer, fmt
):
    users["service"].user_permissions.add(
        Permission.objects.get(codename="export_customer")
    )
    c = client_for(client, users["service"])
    read = csv_rows if fmt == "csv" else xlsx_rows
    [row] = as_dicts(read(c.get(URL, {"format": fmt})))
    assert row["联系方式"] == "138****5678"
    assert row["邮箱"] == "z***@a.com"


def test_custom_fields_are_columns_with_typed_values(admin, users):
    for key, label, kind in (
        ("budget", "预算", CustomField.Type.DECIMAL),
        ("signed", "签约日", CustomField.Type.DATE),
        ("vip", "VIP", CustomField.Type.BOOLEAN),
        ("staff", "员工数", CustomField.Type.INTEGER),
    ):
        CustomField.objects.create(
            target="customer", key=key, label=label, field_type=kind
        )
    customer = make_customer(users["rep1"])
    Customer.objects.filter(pk=customer.pk).update(
        custom={"budget": "5000.5", "signed": "2024-03-15", "vip": True, "staff": 35}
    )
    [row] = as_dicts(csv_rows(admin.get(URL)))
    assert (row["预算"], row["签约日"], row["VIP"], row["员工数"]) == (
        "5000.50",
        "2024-03-15",
        "是",
        "35",
    )
    [cells] = as_dicts(xlsx_rows(admin.get(URL, {"format": "xlsx"})))
    assert cells["预算"] == 5000.5 and cells["员工数"] == 35
    assert cells["签约日"] == datetime.datetime(2024, 3, 15)


def export_queries(client, fmt) -> int:
    with CaptureQueriesContext(connection) as ctx:
        body(client.get(URL, {"format": fmt}))
    return len(ctx.captured_queries)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_queries_do_not_grow_with_rows(admin, users, fmt):
    tags = list(Tag.objects.all()[:2])
    owners = [users["rep1"], users["rep2"], users["manager"]]

    def grow(n):
        for i in range(n):
            make_customer(
                owners[i % 3],
                success_manager=users["success"] if i % 2 else None,
                tags=tags[: i % 3],
                contacts=[contact(phone=f"1380000{i:04d}")],
            )

    grow(2)
    export_queries(admin, fmt)  # warm the per-process caches
    few = export_queries(admin, fmt)
    grow(20)
    assert export_queries(admin, fmt) == few


def test_rows_are_read_in_batches_with_bulk_lookups(users, monkeypatch):
    """Batches of 2: one query per batch and look-up, the names fetched once
    remembered; no query per row."""
    for i in range(5):
        make_customer(users["rep1" if i % 2 else "rep2"], contacts=[contact()])
    export = exporting.build(customer_export)
    rows_qs = Customer.objects.annotate(contacts_visible=Value(True))
    with CaptureQueriesContext(connection) as ctx:
        batches = list(exporting.rows(export, rows_qs.order_by("id"), batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    # A query per batch for tags and contacts; industry, region and the
    # owners looked up once (then remembered), the success manager never.
    assert len(ctx.captured_queries) <= 1 + 3 * 2 + 4
    assert {row[15] for batch in batches for row in batch} == {"rep1", "rep2"}


def test_each_export_is_logged_with_who_filters_and_rows(admin, users, rep1_customer):
    body(admin.get(URL, {"q": "上海"}))
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.actor == users["admin"]
    assert event.rows == 1
    assert event.detail == {"query": "q=%E4%B8%8A%E6%B5%B7", "format": "csv"}


def test_an_unknown_format_falls_back_to_csv(admin, rep1_customer):
    response = admin.get(URL, {"format": "pdf"})
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("role", ["manager", "rep1", "service", "success"])
def test_only_exporters_may_export(client, users, role):
    c = client_for(client, users[role])
    assert c.get(URL, {"format": "xlsx"}).status_code == 403


def test_invalid_filters_explain_instead_of_exporting(admin):
    response = admin.get(URL, {"level": "<b>Z</b>"})
    assert response.status_code == 400
    assert "<b>Z</b>" not in response.content.decode()
    assert not SecurityEvent.objects.filter(kind="export").exists()


def test_neutralise_and_cells():
    assert exporting.neutralise("=1") == "'=1"
    assert exporting.neutralise("\tx") == "'\tx"
    assert exporting.neutralise("安全") == "安全"
    assert exporting.csv_cell(Decimal("5")) == "5.00"
    assert exporting.csv_cell(None) == ""
    assert exporting.column_letter(0) == "A"
    assert exporting.column_letter(25) == "Z"
    assert exporting.column_letter(26) == "AA"
    assert exporting.column_letter(701) == "ZZ"
    assert exporting.column_letter(702) == "AAA"
