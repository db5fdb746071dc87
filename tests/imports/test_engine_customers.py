"""Importing customers: matching, parsing, permissions, all or nothing."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crm.models import CustomField, HistoryEntry, NumberSequence, SecurityEvent
from customers.models import Contact, Customer, Tag
from imports.engine import run_import
from imports.reading import read_table
from imports.specs import get_spec
from tests.factories import contact, valid_code

from .helpers import errors, run, xlsx

HEADER = [
    "客户ID",
    "客户名称",
    "统一社会信用代码",
    "客户类型",
    "所属行业",
    "公司规模",
    "省份",
    "客户等级",
    "客户状态",
    "首次合作时间",
    "历史合作金额",
    "客户标签",
    "负责人",
    "联系人姓名",
    "联系人职务",
    "联系方式",
    "邮箱",
    "创建时间",
]


def row(**values):
    defaults = {
        "客户ID": None,
        "客户名称": "上海导入科技有限公司",
        "统一社会信用代码": None,
        "客户类型": "企业",
        "所属行业": "65",
        "公司规模": "20-99人",
        "省份": "上海",
        "客户等级": "B",
        "客户状态": "潜在客户",
        "首次合作时间": None,
        "历史合作金额": None,
        "客户标签": None,
        "负责人": None,
        "联系人姓名": "王芳",
        "联系人职务": "经理",
        "联系方式": "13900001111",
        "邮箱": "wf@example.com",
        "创建时间": None,
    }
    defaults.update(values)
    return [defaults[h] for h in HEADER]


def test_new_customers_are_created_with_every_value_parsed_as_typed(users):
    result = run(
        "customers",
        [
            HEADER,
            row(
                客户ID="C20240315007",
                统一社会信用代码=" " + valid_code().lower(),
                客户类型="个体工商户",
                所属行业="软件和信息技术服务业",
                省份="浙江省",
                首次合作时间="2023年6月1日",
                历史合作金额="¥500,000",
                客户标签="重点客户，高潜力客户、重点客户",
                负责人="rep1",
                联系方式="139 0000 1111",
                邮箱="ＷＦ@Example.COM",
                创建时间="2024-03-1514:30",
            ),
            row(客户名称="北京第二有限公司", 历史合作金额="50万", 首次合作时间=45366),
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert (result.new, result.updated, result.unchanged) == (2, 0, 0)
    c = Customer.objects.get(customer_no="C20240315007")
    assert c.credit_code == valid_code()
    assert c.type == Customer.Type.SOLE
    assert c.industry_id == "65" and c.region_id == "33"
    assert c.size == "20-99" and c.level == "B"
    assert c.first_cooperation_date == datetime.date(2023, 6, 1)
    assert c.historical_amount == Decimal("500000")
    assert sorted(t.name for t in c.tags.all()) == ["重点客户", "高潜力客户"]
    assert c.owner == users["rep1"] and c.created_by == users["admin"]
    assert timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M") == (
        "2024-03-15 14:30"
    )
    [person] = c.contacts.all()
    assert (person.name, person.phone, person.email, person.is_primary) == (
        "王芳",
        "13900001111",
        "WF@example.com",
        True,
    )
    other = Customer.objects.get(name="北京第二有限公司")
    assert other.historical_amount == Decimal("500000")
    assert other.first_cooperation_date == datetime.date(2024, 3, 15)
    assert other.owner == users["admin"]  # no owner given: the importer
    # History and audit as the services leave them.
    entry = HistoryEntry.objects.get(object_id=str(c.pk))
    assert entry.action == HistoryEntry.Action.CREATE and entry.actor == users["admin"]
    fields = {change["field"] for change in entry.changes}
    assert {"name", "credit_code", "tags", "contacts", "owner"} <= fields
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.GRANT, target__startswith="C20240315007"
    ).exists()
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.IMPORT, actor=users["admin"], rows=2
    ).exists()


def test_imported_ids_keep_the_sequence_past_them(users, make_customer):
    run(
        "customers",
        [HEADER, row(客户ID="C20240315007", 创建时间="2024-03-15 09:00")],
        users["admin"],
    )
    assert NumberSequence.objects.get(prefix="C", day="2024-03-15").last == 7
    # A later customer created that day gets 008, never 007 again.
    moment = timezone.make_aware(datetime.datetime(2024, 3, 15, 18, 0))
    later = make_customer(users["admin"], created_at=moment)
    assert later.customer_no == "C20240315008"
    # New rows without an ID are numbered after it, on their creation day.
    run(
        "customers",
        [HEADER, row(客户名称="同日新客户有限公司", 创建时间="2024-03-15 20:00")],
        users["admin"],
    )
    assert Customer.objects.get(name="同日新客户有限公司").customer_no == "C20240315009"


def test_rows_match_by_id_then_credit_code_then_exact_normalised_name(
    users, make_customer
):
    by_id = make_customer(users["rep1"], name="甲公司")
    by_code = make_customer(users["rep1"], name="乙公司", credit_code=valid_code())
    by_name = make_customer(users["rep1"], name="丙 科技 有限公司")
    result = run(
        "customers",
        [
            HEADER,
            row(客户ID=by_id.customer_no, 客户名称="甲公司（改名）", 客户等级="A"),
            row(统一社会信用代码=valid_code(), 客户名称="乙公司", 客户等级="A"),
            row(客户名称="丙　科技  有限公司", 客户等级="A"),
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert (result.new, result.updated) == (0, 3)
    for customer in (by_id, by_code, by_name):
        customer.refresh_from_db()
        assert customer.level == "A"
        assert customer.version == 2
    assert by_id.name == "甲公司(改名)"  # NFKC, as the form stores it
    entry = HistoryEntry.objects.filter(object_id=str(by_id.pk)).first()
    assert entry.action == HistoryEntry.Action.UPDATE and entry.version == 2
    assert {c["field"] for c in entry.changes} >= {"name", "level"}


def test_reimporting_the_same_file_changes_nothing(users):
    rows = [
        HEADER,
        row(
            客户ID="C20240101001",
            客户标签="重点客户",
            负责人="rep1",
            历史合作金额="1000",
        ),
        row(客户名称="第二家有限公司", 统一社会信用代码=valid_code()),
    ]
    first = run("customers", rows, users["admin"])
    assert first.ok and first.new == 2
    entries = HistoryEntry.objects.count()
    again = run("customers", rows, users["admin"])
    assert again.ok, errors(again)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert HistoryEntry.objects.count() == entries


def test_an_error_in_the_last_row_writes_nothing(users):
    rows = [HEADER] + [row(客户名称=f"客户{i}有限公司") for i in range(30)]
    rows.append(row(客户名称="坏行有限公司", 历史合作金额="五十万"))
    result = run("customers", rows, users["admin"])
    assert not result.ok
    # The header is row 1: the 31st data row is Excel's row 32.
    assert errors(result) == [
        (32, "历史合作金额", "请输入金额，例如 500000、500,000.00、¥500,000 或 50万。")
    ]
    assert not Customer.objects.exists()
    assert not NumberSequence.objects.filter(prefix="C").exists()


def test_a_dry_run_counts_and_writes_nothing(users, make_customer):
    stored = make_customer(users["admin"], name="已有有限公司")
    result = run(
        "customers",
        [
            HEADER,
            row(客户名称="已有有限公司", 客户等级="A"),
            row(客户名称="新有限公司"),
        ],
        users["admin"],
        dry_run=True,
    )
    assert result.ok and result.dry_run
    assert (result.new, result.updated) == (1, 1)
    stored.refresh_from_db()
    assert stored.level == "C" and Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("客户ID", "X123"),
        ("客户ID", "C20241301001"),
        ("统一社会信用代码", "91330100MA27XK9X5Z"),
        ("客户类型", "公司"),
        ("所属行业", "炼金术"),
        ("省份", "火星"),
        ("首次合作时间", "明天"),
        ("首次合作时间", "2999-01-01"),
        ("历史合作金额", "-5"),
        ("历史合作金额", "1.234"),
        ("负责人", "nobody"),
        ("联系方式", "12345"),
        ("邮箱", "not-an-address"),
        ("创建时间", "2024-13-01 10:00"),
        ("客户名称", "长" * 201),
    ],
)
def test_each_bad_value_is_an_error_on_its_row_and_column(users, column, value):
    with_translation = run(
        "customers", [HEADER, row(**{column: value})], users["admin"]
    )
    assert [(e.row, e.column) for e in with_translation.errors] == [(2, column)]
    assert with_translation.errors[0].message
    assert not Customer.objects.exists()


def test_errors_are_in_the_users_language(users):
    from django.utils import translation

    with translation.override("en"):
        result = run("customers", [HEADER, row(历史合作金额="很多")], users["admin"])
    assert result.errors[0].message.startswith("Enter an amount such as")


def test_choices_by_label_in_either_language_or_code(users):
    result = run(
        "customers",
        [
            HEADER,
            row(客户名称="一有限公司", 客户类型="enterprise", 客户状态="Lost customer"),
            row(客户名称="二有限公司", 客户类型="政府及事业单位", 公司规模="10000+"),
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    one, two = Customer.objects.order_by("name")
    assert {one.type, two.type} == {"enterprise", "public"}


def test_users_by_full_name_and_unknown_tags(users):
    users["rep2"].first_name, users["rep2"].last_name = "芳", "李"
    users["rep2"].save()
    result = run(
        "customers",
        [HEADER, row(负责人="李芳", 客户标签="全新标签")],
        users["admin"],
    )
    assert result.ok, errors(result)
    customer = Customer.objects.get()
    assert customer.owner == users["rep2"]
    assert [t.name for t in customer.tags.all()] == ["全新标签"]
    # A rep may not create tags: an unknown one is an error.
    give_import(users["rep1"])
    result = run(
        "customers",
        [HEADER, row(客户名称="代表的有限公司", 客户标签="没有的标签")],
        users["rep1"],
    )
    assert [e.column for e in result.errors] == ["客户标签"]
    assert not Tag.objects.filter(name="没有的标签").exists()


def test_a_user_without_the_import_permission_is_refused(users):
    # rep1 may create customers but does not hold the import permission.
    with pytest.raises(PermissionDenied):
        run("customers", [HEADER, row()], users["rep1"])
    with pytest.raises(PermissionDenied):
        run("customers", [HEADER, row()], users["service"])


def give_import(user):
    user.user_permissions.add(Permission.objects.get(codename="add_importjob"))


def test_only_records_the_user_may_change_are_touched(users, make_customer):
    give_import(users["rep1"])
    mine = make_customer(users["rep1"], name="我的有限公司")
    theirs = make_customer(users["rep2"], name="别人的有限公司")
    result = run(
        "customers",
        [
            HEADER,
            row(客户ID=mine.customer_no, 客户名称="我的有限公司", 客户等级="A"),
            row(客户ID=theirs.customer_no, 客户名称="别人的有限公司", 客户等级="A"),
        ],
        users["rep1"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "客户ID")]
    mine.refresh_from_db()
    assert mine.level == "C"  # all or nothing


def test_a_rep_imports_only_customers_they_own(users):
    give_import(users["rep1"])
    result = run(
        "customers",
        [HEADER, row(负责人="rep2"), row(客户名称="自己的有限公司", 负责人="rep1")],
        users["rep1"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "负责人")]
    result = run("customers", [HEADER, row(负责人="rep1")], users["rep1"])
    assert result.ok and Customer.objects.get().owner == users["rep1"]


def test_holders_must_fit_their_role(users):
    result = run("customers", [HEADER, row(负责人="service")], users["admin"])
    assert [e.column for e in result.errors] == ["负责人"]


def test_the_same_customer_twice_in_a_file_is_an_error(users):
    result = run(
        "customers",
        [HEADER, row(客户名称="重复有限公司"), row(客户名称="重复有限公司")],
        users["admin"],
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "客户名称")]
    assert "2" in result.errors[0].message


def test_a_credit_code_another_customer_holds_is_refused(users, make_customer):
    make_customer(users["admin"], name="持有者有限公司", credit_code=valid_code())
    result = run(
        "customers",
        [HEADER, row(客户ID="C20240101001", 统一社会信用代码=valid_code())],
        users["admin"],
    )
    assert [e.column for e in result.errors] == ["统一社会信用代码"]


def test_possible_duplicates_are_notes(users, make_customer):
    make_customer(
        users["rep2"],
        name="上海 相似 有限公司",
        contacts=[contact(phone="13700001111", email="x@dup.com")],
    )
    result = run(
        "customers",
        [
            HEADER,
            row(客户名称="上海相似有限公司", 联系方式="13800000000", 邮箱="a@a.com"),
            row(客户名称="电话相同有限公司", 联系方式="13700001111", 邮箱="b@b.com"),
        ],
        users["admin"],
        dry_run=True,
    )
    assert result.ok
    assert {n.row for n in result.notes} == {2, 3}
    # The admin sees the other customer, so it is named.
    assert any("上海 相似 有限公司" in n.message for n in result.notes)


def test_the_primary_contact_is_updated_in_place(users, make_customer):
    stored = make_customer(users["admin"], name="联系人有限公司", contacts=[contact()])
    result = run(
        "customers",
        [
            HEADER,
            row(客户名称="联系人有限公司", 联系人姓名="张伟", 联系方式="13500000000"),
        ],
        users["admin"],
    )
    assert result.ok and result.updated == 1, errors(result)
    [person] = stored.contacts.all()
    assert person.phone == "13500000000" and person.title == "经理"
    assert Contact.objects.count() == 1


def test_custom_fields_are_columns(users):
    CustomField.objects.create(
        target="customer", key="staff", label="员工数", field_type="integer"
    )
    CustomField.objects.create(
        target="customer",
        key="channel",
        label="渠道",
        field_type="choice",
        choices="线上\n线下",
    )
    rows = [HEADER + ["员工数", "渠道"], row() + ["1,200", "线下"]]
    result = run("customers", rows, users["admin"])
    assert result.ok, errors(result)
    assert Customer.objects.get().custom == {"staff": 1200, "channel": "线下"}
    bad = run(
        "customers",
        [rows[0], row(客户名称="乙有限公司") + ["多", "别的"]],
        users["admin"],
    )
    assert sorted(e.column for e in bad.errors) == ["员工数", "渠道"]


def test_a_required_column_missing_from_the_file_is_reported_once(users):
    table = read_table(xlsx([["城市"], ["上海"]]), filename="a.xlsx")
    spec = get_spec("customers")
    result = run_import(spec, table, {0: "city"}, user=users["admin"], dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(1, "客户名称")]


def test_progress_is_reported(users):
    seen = []
    rows = [HEADER] + [row(客户名称=f"进度{i}有限公司") for i in range(1001)]
    table = read_table(xlsx(rows), filename="a.xlsx")
    spec = get_spec("customers")
    from imports.mapping import auto_map

    run_import(
        spec,
        table,
        auto_map(spec, table.headers),
        user=users["admin"],
        dry_run=True,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(500, 1001), (1000, 1001), (1001, 1001)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2024-03-15 14:30", (2024, 3, 15, 14, 30)),
        ("2024-03-1514:30", (2024, 3, 15, 14, 30)),
        ("2024/3/5 9:05:07", (2024, 3, 5, 9, 5, 7)),
        ("2024年3月15日 14:30", (2024, 3, 15, 14, 30)),
        ("２０２４-０３-１５ １４:３０", (2024, 3, 15, 14, 30)),
        ("2024-03-15", (2024, 3, 15, 0, 0)),
        (45366.6041666667, (2024, 3, 15, 14, 30)),
        (45366, (2024, 3, 15, 0, 0)),
        (datetime.datetime(2024, 3, 15, 14, 30), (2024, 3, 15, 14, 30)),
        (datetime.date(2024, 3, 15), (2024, 3, 15, 0, 0)),
    ],
)
def test_datetimes_are_read_as_typed(typed, expected):
    from crm.parsing import parse_datetime

    moment = parse_datetime(typed)
    assert timezone.is_aware(moment)
    assert timezone.localtime(moment).replace(tzinfo=None) == datetime.datetime(
        *expected
    )


@pytest.mark.parametrize("garbage", ["明天下午", "2024-03-15 25:00", "14:30", True, 0])
def test_garbage_datetimes_are_refused(garbage):
    from django.core.exceptions import ValidationError

    from crm.parsing import parse_datetime

    with pytest.raises(ValidationError):
        parse_datetime(garbage)


def test_excel_serial_dates():
    from crm.parsing import parse_excel_date

    assert parse_excel_date(45366) == datetime.date(2024, 3, 15)
    assert parse_excel_date("2024/3/15") == datetime.date(2024, 3, 15)


def test_a_customer_saved_meanwhile_stops_the_whole_import(users, make_customer):
    # Someone saves the matched customer between the checks and the write:
    # the write re-checks the versions under lock and rolls everything back.
    stored = make_customer(users["admin"], name="并发有限公司")
    spec = get_spec("customers")
    original = type(spec).write

    def write(self, ctx):
        Customer.objects.filter(pk=stored.pk).update(version=5)
        return original(self, ctx)

    type(spec).write = write
    try:
        result = run(
            "customers",
            [
                HEADER,
                row(客户名称="新的有限公司"),
                row(客户名称="并发有限公司", 客户等级="A"),
            ],
            users["admin"],
        )
    finally:
        type(spec).write = original
    assert [(e.row, e.column) for e in result.errors] == [(3, "客户名称")]
    assert not Customer.objects.filter(name="新的有限公司").exists()
    stored.refresh_from_db()
    assert stored.level == "C"


def test_a_trashed_customer_is_not_revived_by_an_import(users, make_customer):
    from customers import services

    stored = make_customer(users["admin"], name="回收有限公司")
    services.customer_delete(actor=users["admin"], customer=stored)
    result = run(
        "customers",
        [HEADER, row(客户ID=stored.customer_no, 客户名称="回收有限公司")],
        users["admin"],
    )
    assert [e.column for e in result.errors] == ["客户ID"]


def test_the_import_is_audited_with_its_counts(users):
    run("customers", [HEADER, row(), row(客户名称="另一有限公司")], users["admin"])
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.IMPORT)
    assert event.rows == 2 and event.detail["new"] == 2
    # One grant event for the holder of the new customers, with their count.
    grant = SecurityEvent.objects.get(kind=SecurityEvent.Kind.GRANT, rows=2)
    assert grant.target.endswith("→ admin")


def test_the_query_count_does_not_grow_with_rows(users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n):
        rows = [HEADER] + [
            row(
                客户名称=f"查询{n}-{i}有限公司",
                联系方式=f"139{n:02d}{i:06d}",
                邮箱=f"{n}-{i}@q.com",
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = run("customers", rows, users["admin"])
        assert result.ok, errors(result)
        return len(ctx.captured_queries)

    count(2)  # caches warmed (content types, permission ids)
    assert count(40) == count(4)
