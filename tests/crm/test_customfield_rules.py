"""Custom-field rules users notice: the yes/no filter and required fields."""

import pytest

from crm.models import CustomField
from customers.models import Customer
from tests.factories import client_for, customer_form_data


@pytest.fixture
def vip(db):
    return CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="vip",
        label="VIP",
        field_type=CustomField.Type.BOOLEAN,
        filterable=True,
    )


def listed(client, **query) -> set[str]:
    response = client.get("/customers/", query)
    return {c.name for c in response.context["object_list"]}


def test_the_yes_no_filter_no_lists_only_rows_answered_no(
    client, users, make_customer, vip
):
    make_customer(users["rep1"], name="是", custom={"vip": True})
    make_customer(users["rep1"], name="否", custom={"vip": False})
    make_customer(users["rep1"], name="未填")
    make_customer(users["rep1"], name="文本", custom={"vip": "no"})
    c = client_for(client, users["rep1"])
    assert listed(c, cf_vip="0") == {"否"}
    assert listed(c, cf_vip="1") == {"是"}
    assert listed(c, cf_vip="") == {"是", "否", "未填", "文本"}


def test_a_required_custom_field_left_empty_is_refused(client, users):
    CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="source",
        label="客户来源",
        field_type=CustomField.Type.TEXT,
        required=True,
    )
    data = customer_form_data(owner=users["rep1"].pk, cf_source="")
    response = client_for(client, users["rep1"]).post("/customers/new/", data)
    assert response.status_code == 200
    assert "cf_source" in response.context["form"].errors
    assert not Customer.objects.exists()
    data["cf_source"] = "展会"
    response = client.post("/customers/new/", data)
    assert response.status_code == 302
    assert Customer.objects.get().custom == {"source": "展会"}


@pytest.mark.parametrize("typed", ["2024/3/5", "2024年3月5日", "2024-03-05"])
def test_a_date_custom_field_reads_dates_as_people_type_them(db, typed):
    from crm import customfields

    signed = CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="signed",
        label="签约日",
        field_type=CustomField.Type.DATE,
        filterable=True,
    )
    import datetime

    assert customfields.form_field(signed).clean(typed) == datetime.date(2024, 3, 5)
    assert customfields.filter_for(signed).field.clean(typed) == datetime.date(
        2024, 3, 5
    )
