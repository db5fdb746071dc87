"""Importing follow-ups: the customer's last follow-up time and the deal's
last activity kept in bulk, deals of the customer only, the people rules,
permissions, IDs kept, all or nothing, the export read back."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import HistoryEntry, NumberSequence
from followups.models import FollowUp
from opportunities.models import Opportunity
from tests.factories import client_for, make_customer, make_followup, make_opportunity

from .helpers import errors, run

HEADER = [
    "记录ID",
    "客户ID",
    "机会ID",
    "跟进时间",
    "跟进方式",
    "跟进人",
    "跟进内容",
    "客户反馈",
    "下次跟进时间",
    "下次跟进人",
    "下次跟进目标",
]


def row(customer, **values):
    defaults = dict.fromkeys(HEADER)
    defaults.update(
        {
            "客户ID": customer.customer_no,
            "跟进时间": "2024-03-15 14:30",
            "跟进方式": "电话",
            "跟进内容": "电话沟通采购计划",
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
    return make_customer(users["rep1"], name="跟进导入有限公司")


def test_followups_are_created_and_the_customer_and_deal_refreshed(users, customer):
    deal = make_opportunity(users["rep1"], customer)
    old = deal.last_activity_at
    result = run(
        "followups",
        [
            HEADER,
            row(
                customer,
                记录ID="F20240315009",
                机会ID=deal.opp_no,
                跟进时间="2099-01-01 10:00",
                跟进方式="面谈",
                跟进人="rep1",
                客户反馈="需要 <b>报价</b>",
                下次跟进时间="2099-01-08 10:00",
                下次跟进人="rep1",
                下次跟进目标="确认报价",
            ),
            row(customer, 跟进时间="2024-03-10 09:00", 跟进方式="online"),
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert result.new == 2
    f = FollowUp.objects.get(record_no="F20240315009")
    assert (f.method, f.user, f.opportunity, f.next_owner, f.next_goal) == (
        "meeting",
        users["rep1"],
        deal,
        users["rep1"],
        "确认报价",
    )
    assert f.feedback == "需要 <b>报价</b>" and f.next_at == at("2099-01-08 10:00")
    other = FollowUp.objects.get(method="online")
    assert other.user == users["admin"]
    # Its number carries the day it happened; the sequence moved past both.
    assert other.record_no.startswith("F20240310")
    assert NumberSequence.objects.get(prefix="F", day="2024-03-15").last == 9
    customer.refresh_from_db()
    assert customer.last_followup_at == at("2099-01-01 10:00")
    assert customer.version == 1  # not an edit of the customer
    deal.refresh_from_db()
    assert deal.last_activity_at == at("2099-01-01 10:00") > old
    assert deal.version == 1
    entry = HistoryEntry.objects.get(
        content_type__model="followup", object_id=str(f.pk)
    )
    assert entry.action == "create" and entry.actor == users["admin"]


def test_an_earlier_followup_does_not_move_the_deals_activity_back(users, customer):
    deal = make_opportunity(users["rep1"], customer)
    before = deal.last_activity_at
    assert run(
        "followups",
        [HEADER, row(customer, 机会ID=deal.opp_no, 跟进时间="2020-01-01 10:00")],
        users["admin"],
    ).ok
    deal.refresh_from_db()
    assert deal.last_activity_at == before


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"跟进方式": "飞鸽传书"}, "跟进方式"),
        ({"跟进方式": None}, "跟进方式"),
        ({"跟进内容": None}, "跟进内容"),
        ({"跟进内容": "长" * 5001}, "跟进内容"),
        ({"跟进时间": "明天"}, "跟进时间"),
        ({"记录ID": "C20240315001"}, "记录ID"),
        ({"客户ID": "C20990101001"}, "客户ID"),
        ({"跟进人": "nobody"}, "跟进人"),
        ({"下次跟进时间": "2099-01-01 10:00"}, "下次跟进人"),
        ({"下次跟进人": "rep1"}, "下次跟进时间"),
        ({"下次跟进目标": "再聊"}, "下次跟进时间"),
        ({"机会ID": "O20990101001"}, "机会ID"),
    ],
)
def test_each_bad_row_is_an_error_on_its_column(users, customer, values, column):
    result = run("followups", [HEADER, row(customer, **values)], users["admin"])
    assert (2, column) in [(e.row, e.column) for e in result.errors], errors(result)
    assert not FollowUp.objects.exists()


def test_a_deal_of_another_customer_is_refused(users, customer):
    other = make_customer(users["rep1"], name="别家有限公司")
    deal = make_opportunity(users["rep1"], other)
    result = run(
        "followups", [HEADER, row(customer, 机会ID=deal.opp_no)], users["admin"]
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "机会ID")]


def test_people_rules_as_in_the_form(users, customer):
    give_import(users["rep1"])
    # A rep logs only their own follow-ups.
    result = run("followups", [HEADER, row(customer, 跟进人="rep2")], users["rep1"])
    assert [e.column for e in result.errors] == ["跟进人"]
    # The plan's owner must see the customer (rep2 does not).
    result = run(
        "followups",
        [HEADER, row(customer, 下次跟进时间="2099-01-01 10:00", 下次跟进人="rep2")],
        users["rep1"],
    )
    assert [e.column for e in result.errors] == ["下次跟进人"]
    # A manager may log for a colleague who sees the customer.
    give_import(users["manager"])
    result = run(
        "followups",
        [HEADER, row(customer, 跟进人="rep2"), row(customer, 跟进人="rep1")],
        users["manager"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "跟进人")]


def test_permission_scoping(users, customer):
    with pytest.raises(PermissionDenied):
        run("followups", [HEADER, row(customer)], users["rep1"])  # no import perm
    give_import(users["rep2"])
    hidden = run("followups", [HEADER, row(customer)], users["rep2"])
    assert [(e.row, e.column) for e in hidden.errors] == [(2, "客户ID")]
    # rep2 sees their own customer's follow-up written by rep1? rep1 wrote it on
    # rep1's customer: rep2 cannot change it by its ID.
    theirs = make_followup(users["rep1"], customer)
    mine = make_customer(users["rep2"], name="二号有限公司")
    result = run(
        "followups",
        [HEADER, row(mine, 记录ID=theirs.record_no, 跟进内容="改")],
        users["rep2"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "记录ID")]
    theirs.refresh_from_db()
    assert theirs.content == "电话沟通采购计划"


def test_updates_by_id_and_reimports_change_nothing(users, customer):
    give_import(users["rep1"])
    f = make_followup(users["rep1"], customer, occurred_at=at("2024-03-01 10:00:27"))
    rows = [
        HEADER,
        row(
            customer,
            记录ID=f.record_no,
            跟进时间="2024-03-01 10:00",  # exported to the minute
            跟进内容="电话沟通采购计划",
        ),
    ]
    same = run("followups", rows, users["rep1"])
    assert same.ok and (same.updated, same.unchanged) == (0, 1)
    rows[1] = row(
        customer, 记录ID=f.record_no, 跟进时间="2024-03-01 10:00", 客户反馈="好"
    )
    changed = run("followups", rows, users["rep1"])
    assert changed.ok and changed.updated == 1, errors(changed)
    f.refresh_from_db()
    assert f.feedback == "好" and f.version == 2
    # A follow-up does not move to another customer.
    other = make_customer(users["rep1"], name="另一有限公司")
    moved = run("followups", [HEADER, row(other, 记录ID=f.record_no)], users["rep1"])
    assert [e.column for e in moved.errors] == ["客户ID"]


def test_an_error_in_the_last_row_writes_nothing(users, customer):
    rows = [HEADER] + [row(customer) for _ in range(20)]
    rows.append(row(customer, 跟进方式="心灵感应"))
    result = run("followups", rows, users["admin"])
    assert [(e.row, e.column) for e in result.errors] == [(22, "跟进方式")]
    assert not FollowUp.objects.exists()
    customer.refresh_from_db()
    assert customer.last_followup_at is None


def test_the_query_count_does_not_grow_with_rows(users, customer):
    deal = make_opportunity(users["rep1"], customer)

    def count(n):
        rows = [HEADER] + [
            row(
                customer,
                机会ID=deal.opp_no,
                跟进人="rep1",
                下次跟进时间="2099-01-01 10:00",
                下次跟进人="rep1",
            )
            for _ in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = run("followups", rows, users["admin"])
        assert result.ok, errors(result)
        return len(ctx.captured_queries)

    count(2)
    assert count(40) == count(4)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_reimporting_an_export_changes_nothing(client, users, customer, fmt):
    from imports.engine import run_import
    from imports.mapping import auto_map
    from imports.reading import read_table
    from imports.specs import get_spec

    deal = make_opportunity(users["rep1"], customer)
    make_followup(
        users["rep1"],
        customer,
        opportunity=deal,
        feedback="多行\n反馈",
        next_at=timezone.now() + datetime.timedelta(days=3),
        next_owner=users["rep1"],
        next_goal="报价",
    )
    make_followup(users["admin"], customer, method="email")
    admin = users["admin"]
    response = client_for(client, admin).get("/followups/export/", {"format": fmt})
    table = read_table(b"".join(response.streaming_content), filename=f"e.{fmt}")
    spec = get_spec("followups")
    mapping = auto_map(spec, table.headers)
    assert None not in mapping.values(), mapping
    result = run_import(spec, table, mapping, user=admin, dry_run=True)
    assert result.errors == []
    assert (result.new, result.updated, result.unchanged) == (0, 0, 2)
    assert Opportunity.objects.count() == 1
