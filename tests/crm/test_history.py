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
