"""Likely duplicates: the warning before a create, and the duplicates page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import duplicates, services
from customers.models import Customer
from tests.factories import client_for, contact, customer_form_data, make_customer

pytestmark = pytest.mark.django_db

CREATE = "/customers/new/"


def new_customer(**changes) -> dict:
    """The create form's post: a new customer with one contact row."""
    data = customer_form_data(**changes)
    data.update(
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-name": changes.pop("contact_name", "王芳"),
            "contacts-0-phone": changes.get("phone", "13600000001"),
            "contacts-0-email": changes.get("email", "wf@new.com"),
        }
    )
    for key in ("phone", "email"):
        data.pop(key, None)
    return data


# --- the warning on create ------------------------------------------------


def test_a_similar_name_warns_naming_the_customer_and_its_owner(users, client):
    theirs = make_customer(users["rep1"], name="上海一号科技有限公司")
    rep2 = client_for(client, users["rep2"])
    # Spaces and letter case do not make it another company.
    response = rep2.post(CREATE, new_customer(name="上海一号 科技有限公司"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "已有相似客户（负责人：rep1）" in text
    assert f"上海一号科技有限公司（{theirs.customer_no}）" in text
    assert not Customer.objects.filter(name="上海一号 科技有限公司").exists()
    # rep2 may not open rep1's customer: named, but no link to it.
    assert theirs.get_absolute_url() not in text
    # The second submit, with "save anyway" ticked, saves.
    confirmed = new_customer(
        name="上海一号 科技有限公司",
        duplicates_confirmed=theirs.customer_no,
    )
    response = rep2.post(CREATE, confirmed)
    assert response.status_code == 302
    assert Customer.objects.filter(name="上海一号 科技有限公司").exists()


def test_latin_names_match_whatever_the_case(users, client):
    make_customer(users["rep1"], name="ACME 中国有限公司")
    response = client_for(client, users["rep2"]).post(
        CREATE, new_customer(name="acme中国有限公司")
    )
    assert "已有相似客户" in response.content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"phone": "138 1234 5678"},  # the same mobile, typed with spaces
        {"email": "zw@a.com"},
    ],
)
def test_a_contact_phone_or_email_of_another_customer_warns(users, client, changes):
    make_customer(users["rep1"], name="甲公司", contacts=[contact()])
    response = client_for(client, users["rep2"]).post(
        CREATE, new_customer(name="乙公司", **changes)
    )
    assert response.status_code == 200
    assert "已有相似客户（负责人：rep1）" in response.content.decode()
    assert not Customer.objects.filter(name="乙公司").exists()


def test_confirming_other_customers_does_not_confirm_a_new_match(users, client):
    first = make_customer(users["rep1"], name="丙公司")
    make_customer(users["rep1"], name="丁公司", contacts=[contact()])
    rep2 = client_for(client, users["rep2"])
    # Confirmed the name match, but the phone now matches 丁公司 as well.
    data = new_customer(
        name="丙公司", phone="13812345678", duplicates_confirmed=first.customer_no
    )
    response = rep2.post(CREATE, data)
    assert response.status_code == 200
    assert "丁公司" in response.content.decode()
    assert Customer.objects.filter(name="丙公司").count() == 1


def test_no_match_saves_at_once(users, client):
    make_customer(users["rep1"], name="戊公司")
    response = client_for(client, users["rep2"]).post(
        CREATE, new_customer(name="己公司")
    )
    assert response.status_code == 302


def test_trashed_customers_do_not_warn(users, client):
    gone = make_customer(users["rep1"], name="庚公司")
    services.customer_delete(actor=users["admin"], customer=gone)
    response = client_for(client, users["rep2"]).post(
        CREATE, new_customer(name="庚公司")
    )
    assert response.status_code == 302


def test_the_setting_turns_the_warning_off(users, client, settings):
    settings.CRM_DUPLICATE_WARNING = False
    make_customer(users["rep1"], name="辛公司")
    response = client_for(client, users["rep2"]).post(
        CREATE, new_customer(name="辛公司")
    )
    assert response.status_code == 302
    assert Customer.objects.filter(name="辛公司").count() == 2


def test_names_in_the_warning_are_escaped(users, client):
    make_customer(users["rep1"], name="<b>壬</b>公司", contacts=[contact()])
    response = client_for(client, users["rep2"]).post(
        CREATE, new_customer(name="癸公司", phone="13812345678")
    )
    text = response.content.decode()
    assert "&lt;b&gt;壬&lt;/b&gt;公司" in text
    assert "<b>壬</b>" not in text


def test_matching_is_two_queries_whatever_it_matches(users):
    for i in range(6):
        make_customer(users["rep1"], name="同名公司", contacts=[contact()])
        make_customer(users["rep1"], name=f"别名公司{i}")
    with CaptureQueriesContext(connection) as queries:
        found = duplicates.similar_customers(
            name="同名公司", credit_code="", phones=["13812345678"], emails=["zw@a.com"]
        )
    assert len(found) == duplicates.WARNING_LIMIT
    assert len(queries) == 2
    assert {c.name for c in found} == {"同名公司"}


def test_the_normalised_name_is_an_indexed_column_kept_by_the_database(users):
    field = Customer._meta.get_field("name_key")
    assert field.db_index
    customer = make_customer(users["rep1"], name="Foo  Bar 科技")
    # Written by the database on every path, bulk updates included.
    Customer.objects.filter(pk=customer.pk).update(name="New Name 科技")
    assert Customer.objects.get(pk=customer.pk).name_key == "newname科技"


# --- the duplicates page --------------------------------------------------

PAGE = "/customers/duplicates/"


def test_only_roles_that_merge_see_the_page(users, client):
    for name, status in {
        "admin": 200,
        "manager": 200,
        "rep1": 403,
        "service": 403,
        "success": 403,
    }.items():
        client.force_login(users[name])
        assert client.get(PAGE).status_code == status, name


def test_groups_by_name_phone_and_email(users, client):
    a = make_customer(users["rep1"], name="重复 科技", contacts=[contact()])
    b = make_customer(users["rep2"], name="重复科技")
    c = make_customer(
        users["rep2"],
        name="另一家",
        contacts=[contact(name="赵六", phone="13812345678", email="x@x.com")],
    )
    d = make_customer(
        users["rep1"],
        name="第四家",
        contacts=[contact(name="钱七", phone="13900000000", email="x@x.com")],
    )
    make_customer(
        users["rep1"],
        name="孤零零",
        contacts=[contact(phone="13700000000", email="solo@x.com")],
    )
    response = client_for(client, users["manager"]).get(PAGE)
    groups = {
        (g.kind, g.key): {m.pk for m in g.members} for g in response.context["groups"]
    }
    assert groups == {
        ("name", "重复科技"): {a.pk, b.pk},
        ("phone", "13812345678"): {a.pk, c.pk},
        ("email", "x@x.com"): {c.pk, d.pk},
    }
    text = response.content.decode()
    assert "相同" in text  # group labels in Chinese
    assert f'value="{a.customer_no}"' in text


def test_the_page_is_paged_by_group_in_a_fixed_number_of_queries(users, client):
    def build(start, n):
        for i in range(start, start + n):
            make_customer(users["rep1"], name=f"组{i}")
            make_customer(users["rep2"], name=f"组{i}")

    manager = client_for(client, users["manager"])
    build(0, 3)
    manager.get(PAGE)  # warms the per-process caches (querycount)
    with CaptureQueriesContext(connection) as few:
        manager.get(PAGE)
    build(3, 30)  # 33 groups: two pages
    with CaptureQueriesContext(connection) as many:
        response = manager.get(PAGE)
    assert len(response.context["groups"]) == 20
    assert response.context["paginator"].count == 33
    assert len(many) == len(few)
    second = manager.get(PAGE + "?page=2")
    assert len(second.context["groups"]) == 13


def test_trashed_customers_are_not_in_groups(users, client):
    make_customer(users["rep1"], name="回收站公司")
    gone = make_customer(users["rep1"], name="回收站公司")
    services.customer_delete(actor=users["admin"], customer=gone)
    response = client_for(client, users["admin"]).get(PAGE)
    assert response.context["groups"] == []
    assert (
        "没有" in response.content.decode() or "No likely" in response.content.decode()
    )


def test_merge_link_of_a_group_opens_the_merge_page(users, client):
    a = make_customer(users["rep1"], name="链接公司")
    b = make_customer(users["rep2"], name="链接公司")
    manager = client_for(client, users["manager"])
    url = (
        reverse("customers:customer_merge")
        + f"?keep={a.customer_no}&drop={b.customer_no}"
    )
    assert manager.get(url).status_code == 200
