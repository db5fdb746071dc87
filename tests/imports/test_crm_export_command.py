"""`manage.py crm_export`: the module's rows the user may view, to a file."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from crm.models import SecurityEvent
from tests.factories import make_followup, make_opportunity


def test_exports_every_customer_as_xlsx(tmp_path, users, rep1_customer, rep2_customer):
    out = tmp_path / "c.xlsx"
    call_command(
        "crm_export", "customers", user="admin", format="xlsx", output=str(out),
        stdout=io.StringIO(),
    )  # fmt: skip
    book = load_workbook(out)
    header, *rows = book.active.iter_rows(values_only=True)
    assert header[0] == "客户ID"
    assert {r[0] for r in rows} == {
        rep1_customer.customer_no,
        rep2_customer.customer_no,
    }
    event = SecurityEvent.objects.get(kind="export")
    assert (event.actor, event.rows, event.detail["via"]) == (
        users["admin"],
        2,
        "crm_export",
    )


@pytest.mark.parametrize(
    "module", ["followups", "tickets", "opportunities", "payments"]
)
def test_every_module_exports_as_csv(tmp_path, users, rep1_customer, module):
    make_followup(users["rep1"], rep1_customer)
    make_opportunity(users["rep1"], rep1_customer)
    out = tmp_path / "x.csv"
    call_command(
        "crm_export", module, user="admin", format="csv", output=str(out),
        stdout=io.StringIO(),
    )  # fmt: skip
    text = out.read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[0] in {"记录ID", "工单ID", "机会ID"}


def test_the_users_visibility_applies(tmp_path, users, rep1_customer, rep2_customer):
    from django.contrib.auth.models import Permission

    users["rep1"].user_permissions.add(
        Permission.objects.get(codename="export_customer")
    )
    out = tmp_path / "c.csv"
    call_command(
        "crm_export", "customers", user="rep1", format="csv", output=str(out),
        stdout=io.StringIO(),
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [r["客户ID"] for r in rows] == [rep1_customer.customer_no]


@pytest.mark.parametrize(
    "module, user, message",
    [
        ("customers", "manager", "may not export"),
        ("payments", "rep1", "may not export"),
        ("customers", "nobody", "no user"),
        ("nothing", "admin", "unknown module"),
    ],
)
def test_refusals(tmp_path, users, module, user, message):
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match=message):
        call_command("crm_export", module, user=user, output=str(out))
    assert not out.exists()
    assert not SecurityEvent.objects.filter(kind="export").exists()
