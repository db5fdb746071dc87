"""Importing opportunities: stages and their history, wins not counted twice,
permissions, IDs kept, all or nothing, the export read back."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import CustomField, HistoryEntry, NumberSequence, SecurityEvent
from opportunities import services
from opportunities.models import Opportunity, Stage, StageChange
from tests.factories import client_for, make_customer, make_opportunity

from .helpers import errors, run

HEADER = [
    "机会ID",
    "机会名称",
    "客户ID",
    "销售阶段",
    "输单阶段",
    "输单原因",
    "预计成交金额",
    "预计成交日期",
    "赢单概率",
    "竞争对手",
    "客户对比关注点",
    "负责人",
    "创建时间",
    "成交时间",
]


def row(customer, **values):
    defaults = dict.fromkeys(HEADER)
    defaults.update(
        {
            "机会名称": "年度采购",
            "客户ID": customer.customer_no if customer else None,
            "预计成交金额": "50万",
        }
    )
    defaults.update(values)
    return [defaults[h] for h in HEADER]


def give_import(user):
    user.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def customer(users):
    return make_customer(
        users["rep1"], name="导入机会有限公司", historical_amount=Decimal("800000")
    )


def test_open_deals_are_created_with_defaults_and_a_stage_history(users, customer):
    result = run(
        "opportunities",
        [
            HEADER,
            row(
                customer,
                机会ID="O20240315007",
                销售阶段="方案报价",
                预计成交日期="2024/6/30",
                竞争对手="友商",
                负责人="rep1",
                创建时间="2024-03-15 09:30",
            ),
            row(customer, 机会名称="第二个", 销售阶段="negotiation", 赢单概率="75%"),
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert (result.new, result.updated, result.unchanged) == (2, 0, 0)
    deal = Opportunity.objects.get(opp_no="O20240315007")
    assert deal.stage == Stage.PROPOSAL and deal.probability == 40
    assert deal.amount == Decimal("500000") and deal.owner == users["rep1"]
    assert deal.expected_close_date == datetime.date(2024, 6, 30)
    assert local(deal.created_at) == "2024-03-15 09:30"
    assert deal.stage_changed_at == deal.created_at == deal.last_activity_at
    assert deal.created_by == users["admin"] and deal.version == 1
    [change] = deal.stage_changes.all()
    assert (change.from_stage, change.to_stage) == ("", Stage.PROPOSAL)
    assert change.changed_at == deal.created_at
    other = Opportunity.objects.get(name="第二个")
    assert other.probability == 75 and other.owner == users["admin"]
    entry = HistoryEntry.objects.get(
        content_type__model="opportunity", object_id=str(deal.pk), action="create"
    )
    assert {"name", "stage", "amount", "owner"} <= {c["field"] for c in entry.changes}
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.IMPORT, detail__spec="opportunities"
    ).exists()
    # The sequence moved past the imported ID.
    assert NumberSequence.objects.get(prefix="O", day="2024-03-15").last == 7


def test_won_and_lost_deals_keep_their_times_and_are_not_counted_twice(users, customer):
    result = run(
        "opportunities",
        [
            HEADER,
            row(
                customer,
                机会名称="赢单",
                销售阶段="成交",
                创建时间="2024-01-10 10:00",
                成交时间="2024-02-20 16:00",
            ),
            row(
                customer,
                机会名称="输单",
                销售阶段="输单",
                输单阶段="合同谈判",
                输单原因="价格偏高",
                创建时间="2024-01-05 10:00",
            ),
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    won = Opportunity.objects.get(name="赢单")
    assert won.probability == 100 and local(won.won_at) == "2024-02-20 16:00"
    assert won.stage_changed_at == won.won_at == won.last_activity_at
    assert not won.win_set_first_cooperation and won.win_previous_status == ""
    assert [(c.from_stage, c.to_stage) for c in won.stage_changes.all()] == [
        ("", Stage.LEAD),
        (Stage.LEAD, Stage.WON),
    ]
    lost = Opportunity.objects.get(name="输单")
    assert lost.lost_stage == Stage.NEGOTIATION and lost.lost_at == lost.created_at
    assert lost.probability == 0
    assert [(c.from_stage, c.to_stage) for c in lost.stage_changes.all()] == [
        ("", Stage.NEGOTIATION),
        (Stage.NEGOTIATION, Stage.LOST),
    ]
    # Its amount is already in the customer's historical amount (the
    # customer sheet), so the import leaves the customer as it was.
    customer.refresh_from_db()
    assert customer.historical_amount == Decimal("800000") and customer.version == 1
    # Reverting the imported win later subtracts it, like any win.
    services.opportunity_move(
        actor=users["admin"], opportunity=won, stage=Stage.LEAD, expected_version=1
    )
    customer.refresh_from_db()
    assert customer.historical_amount == Decimal("300000")


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"销售阶段": "成交"}, "成交时间"),  # a win needs its time
        ({"销售阶段": "售后"}, "成交时间"),
        ({"成交时间": "2024-02-01 10:00"}, "成交时间"),  # only a won deal has it
        ({"销售阶段": "输单", "输单原因": "贵"}, "输单阶段"),
        ({"销售阶段": "输单", "输单阶段": "线索"}, "输单原因"),
        ({"输单阶段": "线索"}, "输单阶段"),
        ({"销售阶段": "成功"}, "销售阶段"),
        ({"输单阶段": "成交"}, "输单阶段"),  # only an open stage
        ({"赢单概率": "120"}, "赢单概率"),
        ({"赢单概率": "很高"}, "赢单概率"),
        ({"预计成交金额": "-1"}, "预计成交金额"),
        ({"预计成交金额": None}, "预计成交金额"),
        ({"机会名称": None}, "机会名称"),
        ({"机会名称": "长" * 201}, "机会名称"),
        ({"预计成交日期": "下个月"}, "预计成交日期"),
        ({"机会ID": "C20240315001"}, "机会ID"),
        ({"机会ID": "O20241301001"}, "机会ID"),
        ({"负责人": "nobody"}, "负责人"),
        ({"负责人": "service"}, "负责人"),  # cannot own deals
        (
            {
                "销售阶段": "成交",
                "创建时间": "2024-03-01 10:00",
                "成交时间": "2024-02-01 10:00",
            },
            "成交时间",
        ),
        ({"销售阶段": "成交", "成交时间": "2999-01-01 10:00"}, "成交时间"),
    ],
)
def test_each_bad_row_is_an_error_on_its_column(users, customer, values, column):
    result = run("opportunities", [HEADER, row(customer, **values)], users["admin"])
    assert [(e.row, e.column) for e in result.errors] == [(2, column)], errors(result)
    assert result.errors[0].message
    assert not Opportunity.objects.exists()


def test_a_missing_or_hidden_customer_is_the_same_error(users, customer):
    give_import(users["rep2"])
    hidden = run("opportunities", [HEADER, row(customer)], users["rep2"])
    missing = run(
        "opportunities", [HEADER, row(None, 客户ID="C20990101001")], users["rep2"]
    )
    assert errors(hidden) == errors(missing)
    assert errors(hidden)[0][:2] == (2, "客户ID")


def test_an_error_in_the_last_row_writes_nothing(users, customer):
    rows = [HEADER] + [row(customer, 机会名称=f"机会{i}") for i in range(20)]
    rows.append(row(customer, 预计成交金额="很多"))
    result = run("opportunities", rows, users["admin"])
    assert [(e.row, e.column) for e in result.errors] == [(22, "预计成交金额")]
    assert not Opportunity.objects.exists() and not StageChange.objects.exists()
    assert not NumberSequence.objects.filter(prefix="O").exists()


def test_updates_change_fields_but_never_the_stage(users, customer):
    give_import(users["rep1"])
    deal = make_opportunity(users["rep1"], customer, name="老机会")
    won = make_opportunity(users["rep1"], customer, name="已赢", stage=Stage.WON)
    result = run(
        "opportunities",
        [
            HEADER,
            row(
                customer,
                机会ID=deal.opp_no,
                机会名称="新名字",
                赢单概率="30",
                预计成交金额="100000",
            ),
            row(
                customer,
                机会ID=won.opp_no,
                机会名称="已赢",
                销售阶段="成交",
                预计成交金额="100000",
            ),
        ],
        users["rep1"],
    )
    assert result.ok, errors(result)
    assert (result.updated, result.unchanged) == (1, 1)
    deal.refresh_from_db()
    assert (deal.name, deal.probability, deal.version) == ("新名字", 30, 2)
    entry = HistoryEntry.objects.filter(
        content_type__model="opportunity", object_id=str(deal.pk)
    ).first()
    assert entry.action == "update" and entry.version == 2
    refused = run(
        "opportunities",
        [
            HEADER,
            row(customer, 机会ID=deal.opp_no, 销售阶段="合同谈判"),
            row(customer, 机会ID=won.opp_no, 预计成交金额="1"),
        ],
        users["rep1"],
    )
    assert [(e.row, e.column) for e in refused.errors] == [
        (2, "销售阶段"),
        (3, "预计成交金额"),
    ]
    deal.refresh_from_db()
    assert deal.stage == Stage.LEAD


def test_only_deals_the_user_may_change_are_updated(users, customer):
    give_import(users["rep2"])
    theirs = make_opportunity(users["rep1"], customer, name="别人的")
    other = make_customer(users["rep2"], name="自己的有限公司")
    result = run(
        "opportunities",
        [
            HEADER,
            row(other, 机会名称="我的新机会"),
            row(customer, 机会ID=theirs.opp_no, 机会名称="改掉"),
        ],
        users["rep2"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "机会ID")]
    assert not Opportunity.objects.filter(name="我的新机会").exists()
    theirs.refresh_from_db()
    assert theirs.name == "别人的"


def test_a_deal_cannot_move_to_another_customer(users, customer):
    deal = make_opportunity(users["admin"], customer)
    other = make_customer(users["admin"], name="另一有限公司")
    result = run(
        "opportunities", [HEADER, row(other, 机会ID=deal.opp_no)], users["admin"]
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "客户ID")]


def test_reps_cannot_give_deals_away_and_owners_must_see_the_customer(users, customer):
    give_import(users["rep1"])
    result = run("opportunities", [HEADER, row(customer, 负责人="rep2")], users["rep1"])
    assert [e.column for e in result.errors] == ["负责人"]
    # A manager may, to a rep who sees the customer (rep2 does not).
    give_import(users["manager"])
    result = run(
        "opportunities", [HEADER, row(customer, 负责人="rep2")], users["manager"]
    )
    assert [e.column for e in result.errors] == ["负责人"]
    result = run(
        "opportunities", [HEADER, row(customer, 负责人="rep1")], users["manager"]
    )
    assert result.ok, errors(result)


def test_who_may_import_deals(users, customer):
    with pytest.raises(PermissionDenied):
        run("opportunities", [HEADER, row(customer)], users["rep1"])  # no import
    give_import(users["service"])
    with pytest.raises(PermissionDenied):
        run("opportunities", [HEADER, row(customer)], users["service"])


def test_the_same_id_twice_and_a_trashed_deal(users, customer):
    deal = make_opportunity(users["admin"], customer)
    services.opportunity_delete(actor=users["admin"], opportunity=deal)
    result = run(
        "opportunities",
        [
            HEADER,
            row(customer, 机会ID="O20240101001"),
            row(customer, 机会ID="O20240101001"),
            row(customer, 机会ID=deal.opp_no),
        ],
        users["admin"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "机会ID"), (4, "机会ID")]


def test_custom_fields_are_columns(users, customer):
    CustomField.objects.create(
        target="opportunity", key="source", label="来源", field_type="text"
    )
    result = run(
        "opportunities",
        [HEADER + ["来源"], row(customer) + ["展会"]],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert Opportunity.objects.get().custom == {"source": "展会"}


def test_the_query_count_does_not_grow_with_rows(users, customer):
    def count(n):
        rows = [HEADER] + [
            row(
                customer,
                机会名称=f"查询{n}-{i}",
                销售阶段="成交",
                创建时间="2024-01-01 10:00",
                成交时间="2024-01-02 10:00",
                负责人="rep1",
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = run("opportunities", rows, users["admin"])
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

    admin = users["admin"]
    make_opportunity(
        users["rep1"],
        customer,
        name="往返 <b>机会</b>",
        competitor="友商",
        competitor_focus="价格",
        expected_close_date=datetime.date(2024, 9, 30),
    )
    make_opportunity(users["rep1"], customer, stage=Stage.WON)
    make_opportunity(users["rep1"], customer, stage=Stage.LOST)
    response = client_for(client, admin).get("/opportunities/export/", {"format": fmt})
    data = b"".join(response.streaming_content)
    table = read_table(data, filename=f"export.{fmt}")
    spec = get_spec("opportunities")
    mapping = auto_map(spec, table.headers)
    assert None not in mapping.values(), mapping
    result = run_import(spec, table, mapping, user=admin, dry_run=True)
    assert result.errors == []
    assert (result.new, result.updated, result.unchanged) == (0, 0, 3)
