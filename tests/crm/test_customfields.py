"""Custom fields whose type or choices changed after values were stored.

A value the field can no longer hold is shown as it is, flagged, kept until
someone enters a new one, and never breaks a page or the export.
"""

import csv
import io
import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from crm.models import CustomField
from customers.models import Customer
from tests.factories import client_for, customer_form_data

UNFIT = "不符合当前字段类型"

# (what the field was, the value stored then, what the field became)
CHANGES = {
    "text→integer": (("text", ""), "约三十人", ("integer", "")),
    "text→decimal": (("text", ""), "面议", ("decimal", "")),
    "decimal→date": (("decimal", ""), "12.50", ("date", "")),
    "date→integer": (("date", ""), "2024-03-15", ("integer", "")),
    "integer→yes/no": (("integer", ""), 30, ("boolean", "")),
    "choice renamed": (
        ("choice", "展会\n转介绍"),
        "展会",
        ("choice", "线下展会\n转介绍"),
    ),
    "multi→single choice": (
        ("multi_choice", "展会\n转介绍"),
        ["展会", "转介绍"],
        ("choice", "展会\n转介绍"),
    ),
    "single→multi choice": (
        ("choice", "展会\n转介绍"),
        "展会",
        ("multi_choice", "展会\n转介绍"),
    ),
    "long text→text": (("long_text", ""), "第一行\n第二行", ("text", "")),
}


def shown(value) -> str:
    """How a page shows a stored value it cannot interpret."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "、".join(value)
    return json.dumps(value)


@pytest.fixture
def changed_field(request, users, make_customer):
    """A customer whose `source` value was stored before the field changed."""
    (old_type, old_choices), value, (new_type, new_choices) = CHANGES[request.param]
    cf = CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="source",
        label="来源说明",
        field_type=old_type,
        choices=old_choices,
        show_in_list=True,
        filterable=True,
    )
    customer = make_customer(users["rep1"], name="旧值保留有限公司")
    Customer.objects.filter(pk=customer.pk).update(custom={"source": value})
    cf.field_type, cf.choices = new_type, new_choices
    cf.save()
    customer.refresh_from_db()
    return customer, value


def export_rows(client, **params) -> list[list[str]]:
    response = client.get(reverse("customers:customer_export"), params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("changed_field", list(CHANGES), indirect=True)
def test_pages_show_a_value_that_no_longer_fits_as_it_is_and_flag_it(
    client, users, changed_field
):
    # given a value stored before its field's type or choices changed
    customer, value = changed_field
    c = client_for(client, users["admin"])

    # when the list (with the field's column chosen), the detail page and
    # the edit form are opened
    listing = c.get(reverse("customers:customer_list"), {"columns": "name,cf_source"})
    detail = c.get(customer.get_absolute_url())
    edit = c.get(reverse("customers:customer_update", args=[customer.customer_no]))

    # then each opens, shows the value as stored and says it does not fit
    for response in (listing, detail, edit):
        assert response.status_code == 200
        assert shown(value) in response.content.decode()
    assert UNFIT in listing.content.decode()
    assert UNFIT in detail.content.decode()
    assert "不符合该字段当前的类型或选项" in edit.content.decode()


@pytest.mark.parametrize("changed_field", list(CHANGES), indirect=True)
def test_export_keeps_a_value_that_no_longer_fits_whole(client, users, changed_field):
    # given a value stored before its field's type or choices changed
    customer, value = changed_field

    # when an admin exports the list
    header, *rows = export_rows(client_for(client, users["admin"]))

    # then the file is complete and carries the value whole in its column
    assert [row[0] for row in rows] == [customer.customer_no]
    assert rows[0][header.index("来源说明")] == shown(value)


@pytest.mark.parametrize("changed_field", list(CHANGES), indirect=True)
def test_saving_the_record_without_touching_the_field_keeps_the_value(
    client, users, changed_field
):
    # given a value stored before its field's type or choices changed
    customer, value = changed_field

    # when someone edits another field and saves
    response = client_for(client, users["admin"]).post(
        reverse("customers:customer_update", args=[customer.customer_no]),
        customer_form_data(customer, city="苏州"),
    )

    # then the edit is saved and the old value is still there, unchanged
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.city == "苏州"
    assert customer.custom == {"source": value}


@pytest.mark.parametrize("changed_field", list(CHANGES), indirect=True)
def test_filtering_never_fails_on_rows_that_no_longer_fit(client, users, changed_field):
    # given a value stored before its field's type or choices changed
    changed_field  # noqa: B018
    c = client_for(client, users["admin"])

    # when the list is filtered on that field, sensibly or not
    queries = ["1", "展会", "2024-03-15", "12.50", "abc", "99999999999999999999999"]

    # then every filtered list still opens
    for query in queries:
        url = reverse("customers:customer_list") + "?cf_source=" + query
        assert c.get(url).status_code == 200, query


@pytest.mark.parametrize("changed_field", ["text→integer"], indirect=True)
def test_entering_a_new_value_replaces_the_one_that_did_not_fit(
    client, users, changed_field
):
    # given "约三十人" stored in what is now an integer field
    customer, _value = changed_field
    c = client_for(client, users["admin"])
    url = reverse("customers:customer_update", args=[customer.customer_no])

    # when the user enters a number there and saves
    response = c.post(url, customer_form_data(customer, cf_source="30"))

    # then the number is stored and shown without a warning
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.custom == {"source": 30}
    detail = c.get(customer.get_absolute_url()).content.decode()
    assert UNFIT not in detail


@pytest.mark.parametrize("changed_field", ["choice renamed"], indirect=True)
def test_the_user_can_remove_a_value_that_does_not_fit(client, users, changed_field):
    # given "展会" stored although the choice is now called "线下展会"
    customer, _value = changed_field

    # when the user ticks "remove the stored value" and saves
    response = client_for(client, users["admin"]).post(
        reverse("customers:customer_update", args=[customer.customer_no]),
        customer_form_data(customer, cfclear_source="on"),
    )

    # then the value is gone
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.custom == {}


@pytest.mark.parametrize("changed_field", ["decimal→date"], indirect=True)
def test_removing_a_required_value_asks_for_a_new_one(client, users, changed_field):
    # given a required field whose stored value no longer fits
    customer, value = changed_field
    CustomField.objects.filter(key="source").update(required=True)

    # when the user removes the value without entering a new one
    response = client_for(client, users["admin"]).post(
        reverse("customers:customer_update", args=[customer.customer_no]),
        customer_form_data(customer, cfclear_source="on"),
    )

    # then the form says the field is required and nothing is saved
    assert response.status_code == 200
    assert "此项必填。" in response.content.decode()
    customer.refresh_from_db()
    assert customer.custom == {"source": value}


@pytest.mark.parametrize("changed_field", ["decimal→date"], indirect=True)
def test_a_required_field_keeps_its_old_value_when_saved_untouched(
    client, users, changed_field
):
    # given a required field whose stored value no longer fits
    customer, value = changed_field
    CustomField.objects.filter(key="source").update(required=True)

    # when the record is saved without touching the field
    response = client_for(client, users["admin"]).post(
        reverse("customers:customer_update", args=[customer.customer_no]),
        customer_form_data(customer),
    )

    # then the save goes through and the value stays
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.custom == {"source": value}


def superuser_client(client):
    # The Django admin opens for superusers only (administrators use /settings/).
    root = User.objects.create_superuser("root", password="pw-12345-test")
    return client_for(client, root)


def admin_change(client, cf: CustomField, **changes):
    data = {
        "target": cf.target,
        "key": cf.key,
        "label": cf.label,
        "field_type": cf.field_type,
        "choices": cf.choices,
        "order": cf.order,
        **changes,
    }
    for flag in ("required", "show_in_list", "filterable"):
        if getattr(cf, flag):
            data.setdefault(flag, "on")
    url = reverse("admin:crm_customfield_change", args=[cf.pk])
    return client.post(url, data)


def test_admin_warns_how_many_values_a_type_change_leaves_unfit(
    client, users, make_customer
):
    # given a text field holding two numbers and a phrase
    cf = CustomField.objects.create(
        target="customer", key="staff", label="员工数", field_type="text"
    )
    for value in ("35", "约三十人", "120"):
        customer = make_customer(users["rep1"])
        Customer.objects.filter(pk=customer.pk).update(custom={"staff": value})
    c = superuser_client(client)

    # when the administrator changes it to a date field
    first = admin_change(c, cf, field_type="date")

    # then nothing is saved yet and the page says how many values will not fit
    assert first.status_code == 200
    page = first.content.decode()
    assert "3 条记录的值不符合新的类型/选项，保存后这些值会保留并标记" in page
    assert '<input type="checkbox" name="confirm_unfit"' in page
    cf.refresh_from_db()
    assert cf.field_type == "text"

    # when they confirm
    second = admin_change(c, cf, field_type="date", confirm_unfit="on")

    # then the change is saved and the stored values are untouched
    assert second.status_code == 302
    cf.refresh_from_db()
    assert cf.field_type == "date"
    stored = sorted(c.custom["staff"] for c in Customer.objects.all())
    assert stored == ["120", "35", "约三十人"]


def test_admin_saves_without_asking_when_every_value_fits(client, users, make_customer):
    # given a choice field whose stored values all stay among the choices
    cf = CustomField.objects.create(
        target="customer",
        key="channel",
        label="获客渠道",
        field_type="choice",
        choices="展会\n转介绍",
    )
    customer = make_customer(users["rep1"])
    Customer.objects.filter(pk=customer.pk).update(custom={"channel": "展会"})

    # when the administrator adds a choice
    response = admin_change(superuser_client(client), cf, choices="展会\n转介绍\n官网")

    # then it is saved straight away
    assert response.status_code == 302
    cf.refresh_from_db()
    assert cf.choice_list == ["展会", "转介绍", "官网"]


def test_admin_counts_values_left_behind_by_a_deleted_field(
    client, users, make_customer
):
    # given values stored under a key whose field was deleted
    customer = make_customer(users["rep1"])
    Customer.objects.filter(pk=customer.pk).update(custom={"level2": "高"})
    c = superuser_client(client)
    data = {"target": "customer", "key": "level2", "label": "二级等级", "order": 0}

    # when a new integer field with that key is added
    response = c.post(
        reverse("admin:crm_customfield_add"), {**data, "field_type": "integer"}
    )

    # then the administrator is told first
    assert response.status_code == 200
    assert "1 条记录的值不符合新的类型/选项" in response.content.decode()
    assert not CustomField.objects.exists()
