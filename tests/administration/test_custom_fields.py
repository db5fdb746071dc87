"""The custom field section: list per record type, create, edit with the
"values that will not fit" warning, delete; messages next to their field."""

import pytest
from django.urls import reverse

from crm.models import CustomField, HistoryEntry, SecurityEvent
from customers.models import Customer
from tests.factories import client_for

LIST = "/settings/custom-fields/"
NEW = "/settings/custom-fields/new/"


def field_data(**changes) -> dict:
    data = {
        "target": "customer",
        "key": "source_channel",
        "label": "获客渠道",
        "field_type": "choice",
        "choices": "展会\n转介绍",
        "order": "10",
        "show_in_list": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def edit_data(cf: CustomField, **changes) -> dict:
    data = {
        "label": cf.label,
        "field_type": cf.field_type,
        "choices": cf.choices,
        "order": cf.order,
        **changes,
    }
    for flag in ("required", "show_in_list", "filterable"):
        if getattr(cf, flag):
            data.setdefault(flag, "on")
    return data


@pytest.fixture
def admin(client, users):
    return client_for(client, users["admin"])


def test_an_admin_adds_a_field_and_it_appears_on_the_customer_form(admin, users):
    # when the administrator adds a choice field to customers
    response = admin.post(NEW, field_data())

    # then it is saved, listed under customers, and recorded in its history
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?target=customer"
    cf = CustomField.objects.get(key="source_channel")
    assert (cf.label, cf.field_type, cf.choice_list) == (
        "获客渠道",
        "choice",
        ["展会", "转介绍"],
    )
    listing = admin.get(response["Location"]).content.decode()
    assert "已添加自定义字段“获客渠道”。" in listing
    assert "获客渠道" in listing and "展会、转介绍" in listing
    entry = HistoryEntry.objects.get(object_id=str(cf.pk), action="create")
    assert entry.actor == users["admin"]
    assert {"field": "label", "old": None, "new": "获客渠道"} in entry.changes
    # and the customer form offers it
    form = admin.get("/customers/new/").content.decode()
    assert 'name="cf_source_channel"' in form and "转介绍" in form


def test_the_list_is_per_record_type_with_counts(admin):
    CustomField.objects.create(
        target="customer", key="a", label="客户字段", field_type="text"
    )
    CustomField.objects.create(
        target="ticket", key="b", label="工单字段", field_type="text"
    )

    customers = admin.get(LIST).content.decode()
    tickets = admin.get(f"{LIST}?target=ticket").content.decode()

    assert "客户字段" in customers and "工单字段" not in customers
    assert "工单字段" in tickets and "客户字段" not in tickets
    assert 'href="/settings/custom-fields/new/?target=ticket"' in tickets


@pytest.mark.parametrize(
    "changes, field, message",
    [
        (
            {"key": "Source-Channel"},
            "key",
            "只能使用小写字母、数字和下划线，并以字母开头。",
        ),
        ({"key": "1st"}, "key", "只能使用小写字母、数字和下划线，并以字母开头。"),
        ({"key": "taken"}, "key", "该记录类型已有键为“taken”的字段。"),
        ({"label": "已有字段"}, "label", "该记录类型已有名为“已有字段”的字段。"),
        ({"choices": ""}, "choices", "请至少填写一个选项。"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_next_to_the_field(
    admin, changes, field, message
):
    # given a field that already uses a key and a label
    CustomField.objects.create(
        target="customer", key="taken", label="已有字段", field_type="text"
    )

    # when the administrator submits a new field with a mistake
    response = admin.post(NEW, field_data(**changes))

    # then nothing is saved and the message sits under that field
    assert response.status_code == 200
    assert CustomField.objects.count() == 1
    assert response.context["form"].errors[field] == [message]
    page = response.content.decode()
    error = page.index(f'id="id_{field}_error"')
    assert message in page[error : error + 300]


def test_the_same_key_is_allowed_on_another_record_type(admin):
    CustomField.objects.create(
        target="ticket", key="source_channel", label="获客渠道", field_type="text"
    )
    assert admin.post(NEW, field_data()).status_code == 302
    assert CustomField.objects.filter(key="source_channel").count() == 2


def test_the_key_and_target_cannot_change_once_created(admin):
    # given a customer field
    cf = CustomField.objects.create(
        target="customer", key="staff", label="员工数", field_type="integer"
    )
    url = reverse("administration:customfield_update", args=[cf.pk])

    # when a forged post tries to move its key and target
    response = admin.post(
        url, edit_data(cf, key="renamed", target="ticket", label="员工人数")
    )

    # then the label changes but the key and target stay
    assert response.status_code == 302
    cf.refresh_from_db()
    assert (cf.key, cf.target, cf.label) == ("staff", "customer", "员工人数")
    page = admin.get(url).content.decode()
    assert 'name="key"' in page and "disabled" in page


def test_a_type_change_warns_with_the_number_of_values_that_do_not_fit(
    admin, users, make_customer
):
    # given a text field holding two numbers and a phrase, and one customer
    # (in the trash) holding a date-like text
    cf = CustomField.objects.create(
        target="customer", key="staff", label="员工数", field_type="text"
    )
    for value in ("35", "约三十人", "120", "2024-01-01"):
        customer = make_customer(users["rep1"])
        Customer.objects.filter(pk=customer.pk).update(custom={"staff": value})
    url = reverse("administration:customfield_update", args=[cf.pk])

    # when the administrator changes it to a date field
    first = admin.post(url, edit_data(cf, field_type="date"))

    # then nothing is saved and the page says how many values will not fit
    assert first.status_code == 200
    page = first.content.decode()
    assert "3 条记录的值不符合新的类型/选项，保存后这些值会保留并标记" in page
    assert 'id="unfit-warning"' in page
    assert '<input type="checkbox" name="confirm_unfit"' in page
    cf.refresh_from_db()
    assert cf.field_type == "text"

    # when they tick "save anyway"
    second = admin.post(url, edit_data(cf, field_type="date", confirm_unfit="on"))

    # then it is saved, the values are untouched, and the change is in history
    assert second.status_code == 302
    cf.refresh_from_db()
    assert cf.field_type == "date"
    stored = sorted(c.custom["staff"] for c in Customer.objects.all())
    assert stored == ["120", "2024-01-01", "35", "约三十人"]
    entry = HistoryEntry.objects.get(object_id=str(cf.pk), action="update")
    assert entry.changes == [{"field": "field_type", "old": "text", "new": "date"}]


def test_a_change_every_value_fits_saves_without_asking(admin, users, make_customer):
    cf = CustomField.objects.create(
        target="customer",
        key="channel",
        label="渠道",
        field_type="choice",
        choices="展会",
    )
    customer = make_customer(users["rep1"])
    Customer.objects.filter(pk=customer.pk).update(custom={"channel": "展会"})
    url = reverse("administration:customfield_update", args=[cf.pk])

    response = admin.post(url, edit_data(cf, choices="展会\n官网"))

    assert response.status_code == 302
    cf.refresh_from_db()
    assert cf.choice_list == ["展会", "官网"]


def test_delete_asks_first_with_the_number_of_records_holding_a_value(
    admin, users, make_customer
):
    # given a field two customers filled in
    cf = CustomField.objects.create(
        target="customer", key="staff", label="员工数", field_type="text"
    )
    for value in ("35", "40"):
        customer = make_customer(users["rep1"])
        Customer.objects.filter(pk=customer.pk).update(custom={"staff": value})
    url = reverse("administration:customfield_delete", args=[cf.pk])

    # when the administrator opens the delete page
    confirm = admin.get(url).content.decode()

    # then it says how many records hold a value, and nothing is deleted yet
    assert "有 2 条记录在此字段中有值" in confirm
    assert CustomField.objects.filter(pk=cf.pk).exists()

    # when they confirm
    response = admin.post(url)

    # then the field is gone, the values stay stored, and it is logged
    assert response.status_code == 302
    assert not CustomField.objects.filter(pk=cf.pk).exists()
    assert sorted(c.custom["staff"] for c in Customer.objects.all()) == ["35", "40"]
    event = SecurityEvent.objects.get(kind="purge")
    assert event.rows == 2 and event.detail == {"what": "custom_field"}
    assert HistoryEntry.objects.filter(object_id=str(cf.pk), action="delete").exists()


def test_html_in_a_label_is_shown_as_text(admin):
    label = '<img src=x onerror="alert(1)">'
    admin.post(NEW, field_data(label=label, key="xss"))
    assert CustomField.objects.filter(label=label).exists()

    for url in (LIST, "/customers/new/"):
        page = admin.get(url).content.decode()
        assert label not in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
