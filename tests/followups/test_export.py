"""'Export this view' of the follow-up list and the ticket queue: admins only,
the filters and tab on screen, DESIGN §6's headers, no query per row."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from crm.models import SecurityEvent
from tests.factories import (
    client_for,
    make_customer,
    make_followup,
    make_opportunity,
    make_ticket,
)

FOLLOWUPS, TICKETS = "/followups/export/", "/tickets/export/"


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
    return make_customer(users["rep1"], success_manager=users["success"])


def test_followups_export_with_the_design_headers(admin, users, customer):
    deal = make_opportunity(users["rep1"], customer)
    moment = timezone.make_aware(datetime.datetime(2024, 3, 15, 14, 30))
    followup = make_followup(
        users["rep1"],
        customer,
        opportunity=deal,
        occurred_at=moment,
        content="=cmd 报价",
        next_at=moment + datetime.timedelta(days=7),
        next_owner=users["rep1"],
        next_goal="签约",
    )
    [row] = csv_dicts(admin.get(FOLLOWUPS))
    assert row == {
        "记录ID": followup.record_no,
        "客户ID": customer.customer_no,
        "机会ID": deal.opp_no,
        "跟进时间": "2024-03-15 14:30",
        "跟进方式": "电话",
        "跟进人": "rep1",
        "跟进内容": "'=cmd 报价",
        "客户反馈": "",
        "下次跟进时间": "2024-03-22 14:30",
        "下次跟进人": "rep1",
        "下次跟进目标": "签约",
    }
    [cells] = xlsx_dicts(admin.get(FOLLOWUPS, {"format": "xlsx"}))
    assert cells["跟进时间"] == datetime.datetime(2024, 3, 15, 14, 30)
    assert cells["跟进方式"] == "电话"


def test_followups_keep_the_filters_and_log_them(admin, users, customer):
    make_followup(users["rep1"], customer, method="phone")
    visit = make_followup(users["rep1"], customer, method="meeting")
    rows = csv_dicts(admin.get(FOLLOWUPS, {"method": "meeting"}))
    assert [r["记录ID"] for r in rows] == [visit.record_no]
    event = SecurityEvent.objects.get(kind="export")
    assert (event.target, event.rows, event.detail["query"]) == (
        "followups",
        1,
        "method=meeting",
    )


def test_a_deal_the_exporter_may_not_view_is_not_named(client, users, customer):
    # Customer service reads every follow-up but no deal; given the export
    # permission, it still gets no deal ID.
    deal = make_opportunity(users["rep1"], customer)
    make_followup(users["rep1"], customer, opportunity=deal)
    users["service"].user_permissions.add(
        Permission.objects.get(codename="export_followup")
    )
    [row] = csv_dicts(client_for(client, users["service"]).get(FOLLOWUPS))
    assert row["机会ID"] == ""


def test_tickets_export_the_tab_and_filters_on_screen(admin, users, customer):
    mine = make_ticket(users["service"], customer, assignee=users["admin"])
    other = make_ticket(users["service"], customer, priority="urgent")
    everything = csv_dicts(admin.get(TICKETS, {"tab": "all", "ordering": "ticket_no"}))
    assert [r["工单ID"] for r in everything] == sorted(
        [mine.ticket_no, other.ticket_no]
    )
    [row] = csv_dicts(admin.get(TICKETS, {"tab": "mine"}))
    assert row["工单ID"] == mine.ticket_no
    assert row["客户ID"] == customer.customer_no
    assert row["工单类型"] == "投诉" and row["工单状态"] == "新建"
    assert row["处理人"] == "admin" and row["创建人"] == "service"
    [cells] = xlsx_dicts(admin.get(TICKETS, {"priority": "urgent", "format": "xlsx"}))
    assert cells["工单ID"] == other.ticket_no and cells["优先级"] == "紧急"
    assert isinstance(cells["截止时间"], datetime.datetime)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        b"".join(response.streaming_content)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [FOLLOWUPS, TICKETS])
def test_queries_do_not_grow_with_rows(admin, users, customer, url):
    def grow(n):
        for i in range(n):
            author = users["rep1"] if i % 2 else users["manager"]
            make_followup(author, customer)
            make_ticket(users["service"], customer, assignee=author)

    grow(2)
    count_queries(admin, url)
    few = count_queries(admin, url)
    grow(12)
    assert count_queries(admin, url) == few


@pytest.mark.parametrize("url", [FOLLOWUPS, TICKETS])
@pytest.mark.parametrize("role", ["manager", "rep1", "service", "success"])
def test_only_admins_export(client, users, url, role):
    assert client_for(client, users[role]).get(url).status_code == 403


MENU = re.compile(r'<div [^>]*id="export-menu-panel"[^>]*>')


@pytest.mark.parametrize(
    "page, export, params",
    [
        ("/followups/", FOLLOWUPS, {"method": "meeting"}),
        ("/tickets/", TICKETS, {"tab": "all", "priority": "high"}),
    ],
)
def test_the_list_offers_the_export_with_the_filters_on_screen(
    client, users, page, export, params
):
    admin = client_for(client, users["admin"])
    full = admin.get(page).content.decode()
    assert f'href="{export}?format=xlsx"' in full
    partial = admin.get(page, params, headers={"HX-Request": "true"})
    text = partial.content.decode()
    [menu] = MENU.findall(text)
    assert 'hx-swap-oob="true"' in menu
    query = "&amp;".join(f"{k}={v}" for k, v in params.items())
    assert f'href="{export}?{query}"' in text
    assert f'href="{export}?format=xlsx&amp;{query}"' in text
    rep = client_for(client, users["rep1"])
    assert "export-menu" not in rep.get(page).content.decode()
