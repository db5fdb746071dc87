"""History stores field names and raw values; readers see labels in their language."""

import pytest
from django.utils import translation

from crm import history
from crm.models import CustomField, HistoryEntry
from crm.privacy import mask_text
from customers import services
from customers.models import Customer, Tag


def update(customer, actor, **data):
    return services.customer_update(
        actor=actor, customer=customer, data=data, expected_version=customer.version
    )


def test_changes_are_stored_as_field_names_and_raw_values(users, rep1_customer):
    # When rep1 changes the status (a choice) and the amount (a decimal)
    update(rep1_customer, users["rep1"], status="active", historical_amount="1234.5")

    # Then the entry keeps the code and the plain number, not a translated label
    entry = HistoryEntry.objects.get(action="update")
    changes = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changes["status"] == ("potential", "active")
    assert changes["historical_amount"] == ("0.00", "1234.5")


@pytest.mark.parametrize(
    "language, label, old, new",
    [
        ("zh-hans", "客户状态", "潜在客户", "成交客户"),
        ("en", "customer status", "Potential customer", "Closed-won customer"),
    ],
)
def test_a_change_reads_in_the_readers_language(
    users, rep1_customer, language, label, old, new
):
    # Given a status change made by a Chinese-speaking rep
    with translation.override("zh-hans"):
        update(rep1_customer, users["rep1"], status="active")

    # When a reader in `language` looks at the history
    with translation.override(language):
        entries = history.present(history.entries_for(rep1_customer), Customer)
        rows = [r for e in entries for r in e.rows if r["old"] or r["new"]]

    # Then labels and values are in that language
    assert {"label": label, "old": old, "new": new} in rows


def test_amounts_are_shown_to_the_fen_with_separators(users, rep1_customer):
    update(rep1_customer, users["rep1"], historical_amount="1234567.5")
    entry = history.present(history.entries_for(rep1_customer)[:1], Customer)[0]
    assert {"label": "历史合作金额", "old": "0.00", "new": "1,234,567.50"} in entry.rows


def test_tags_and_custom_fields_are_tracked(users, rep1_customer):
    # Given a custom field
    CustomField.objects.create(
        target="customer", key="budget", label="年度预算", field_type="integer"
    )
    tag = Tag.objects.get(name="重点客户")

    # When rep1 sets the tag and the custom field in one save
    services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={"custom": {"budget": 300}},
        expected_version=rep1_customer.version,
        tags=[tag],
    )

    # Then both appear in one entry, the custom field under its label
    entry = history.present(history.entries_for(rep1_customer)[:1], Customer)[0]
    assert {"label": "客户标签", "old": "", "new": "重点客户"} in entry.rows
    assert {"label": "年度预算", "old": "", "new": "300"} in entry.rows


def test_a_save_that_changes_nothing_leaves_no_entry(users, rep1_customer):
    update(rep1_customer, users["rep1"], name=rep1_customer.name)
    assert not HistoryEntry.objects.filter(action="update").exists()


def test_entries_written_before_raw_values_still_read(users, rep1_customer):
    # Given an entry in the old format: a stored label and displayed values
    history.record(
        rep1_customer,
        users["rep1"],
        HistoryEntry.Action.UPDATE,
        [
            {
                "field": "status",
                "label": "客户状态",
                "old": "潜在客户",
                "new": "成交客户",
            }
        ],
    )
    entry = history.present(history.entries_for(rep1_customer)[:1], Customer)[0]
    assert entry.rows == [{"label": "客户状态", "old": "潜在客户", "new": "成交客户"}]


def test_contact_changes_are_masked_for_readers_who_may_not_see_them(
    users, rep1_customer
):
    services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={},
        expected_version=rep1_customer.version,
        contacts=[services.ContactData(name="王五", phone="13900001111")],
    )
    entries = history.entries_for(rep1_customer)[:1]
    masked = history.present(entries, Customer, mask=mask_text)[0].rows
    assert "139****1111" in str(masked) and "13900001111" not in str(masked)


def shown(customer, mask=None, language="zh-hans"):
    with translation.override(language):
        return history.present(history.entries_for(customer), Customer, mask=mask)


@pytest.mark.parametrize(
    "language, shared, revoked",
    [
        (
            "zh-hans",
            "将客户共享给 张三（rep2），权限：查看",
            "收回了 张三（rep2） 的访问权限",
        ),
        (
            "en",
            "Shared the customer with 张三（rep2）, access: View",
            "Took back 张三（rep2）'s access to the customer",
        ),
    ],
)
def test_shares_read_as_sentences_naming_the_colleague(
    users, rep1_customer, language, shared, revoked
):
    users["rep2"].first_name = "张三"
    users["rep2"].save()
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="view"
    )
    services.customer_unshare(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"]
    )
    unshare, share = shown(rep1_customer, language=language)[:2]
    assert (share.sentence, unshare.sentence) == (shared, revoked)


def test_a_share_of_a_colleague_who_left_still_reads(users, rep1_customer):
    history.record(
        rep1_customer,
        users["rep1"],
        HistoryEntry.Action.SHARE,
        [{"field": "share", "label": "gone", "old": "", "new": "change"}],
    )
    assert shown(rep1_customer)[0].sentence == "将客户共享给 gone，权限：查看和编辑"


def edit_contacts(customer, actor, contacts):
    services.customer_update(
        actor=actor,
        customer=customer,
        data={},
        expected_version=Customer.objects.get(pk=customer.pk).version,
        contacts=contacts,
    )


@pytest.fixture
def li_si(users, make_customer):
    return make_customer(
        users["rep1"],
        contacts=[
            services.ContactData(name="李四", title="经理", phone="13800000000"),
            services.ContactData(name="王五", title="助理"),
        ],
    )


def test_a_contact_edit_reads_per_field(users, li_si):
    li, wang = li_si.contacts.order_by("id")
    edit_contacts(
        li_si,
        users["rep1"],
        [
            services.ContactData(
                name="李四", title="总监", phone="13911111111", id=li.pk
            ),
            services.ContactData(name="王五", title="助理", id=wang.pk),
        ],
    )
    rows = shown(li_si)[0].rows
    assert rows == [
        {
            "label": "联系人 李四",
            "old": "",
            "new": "",
            "related": "changed",
            "parts": [
                {"label": "职务", "old": "经理", "new": "总监"},
                {"label": "联系方式", "old": "13800000000", "new": "13911111111"},
            ],
        }
    ]


def test_contact_fields_are_masked_for_readers_who_may_not_see_them(users, li_si):
    li, wang = li_si.contacts.order_by("id")
    edit_contacts(
        li_si,
        users["rep1"],
        [
            services.ContactData(
                name="李四", title="经理", phone="13911111111", id=li.pk
            ),
            services.ContactData(
                name="赵六", phone="13722223333", email="zl@example.com"
            ),
        ],
    )
    rows = shown(li_si, mask=mask_text)[0].rows
    by_label = {r["label"]: r for r in rows}
    assert by_label["联系人 李四"]["parts"] == [
        {"label": "联系方式", "old": "138****0000", "new": "139****1111"}
    ]
    assert by_label["新增联系人 赵六"]["parts"] == [
        {"label": "联系方式", "old": "", "new": "137****3333"},
        {"label": "邮箱", "old": "", "new": "z***@example.com"},
    ]
    assert by_label["删除了联系人 王五"]["parts"] == []
    assert "13911111111" not in str(rows) and "zl@example.com" not in str(rows)


def test_contact_entries_written_as_lines_still_read(users, rep1_customer):
    # Given an entry from before contacts were stored per field
    history.record(
        rep1_customer,
        users["rep1"],
        HistoryEntry.Action.UPDATE,
        [
            {
                "field": "contacts",
                "old": ["★张伟 采购总监 13812345678"],
                "new": ["★张伟 总监 13812345678"],
            }
        ],
    )
    rows = shown(rep1_customer, mask=mask_text)[0].rows
    assert rows == [
        {
            "label": "联系人",
            "old": "★张伟 采购总监 138****5678",
            "new": "★张伟 总监 138****5678",
        }
    ]


def test_a_date_and_time_change_reads_in_the_site_time_zone(db, users):
    from followups.models import FollowUp

    field = FollowUp._meta.get_field("next_at")
    # 2026-03-10 01:30 UTC is 09:30 in Asia/Shanghai.
    assert history._field_text(field, "2026-03-10T01:30:00+00:00") == "2026-03-10 09:30"
    assert history._field_text(field, "not a time") == "not a time"
