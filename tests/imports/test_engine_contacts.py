"""Importing contacts of customers named by 客户ID."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from crm.models import HistoryEntry
from customers.models import Contact
from tests.factories import contact

from .helpers import errors, run

HEADER = ["客户ID", "联系人姓名", "职务", "联系方式", "邮箱", "是否主要联系人", "备注"]


def give_import(user):
    user.user_permissions.add(Permission.objects.get(codename="add_importjob"))


def test_contacts_are_added_and_updated_by_name(users, make_customer):
    customer = make_customer(users["admin"], contacts=[contact()])
    result = run(
        "contacts",
        [
            HEADER,
            [customer.customer_no, "张伟", "CEO", None, None, None, None],
            [
                customer.customer_no,
                "李雷",
                "工程师",
                "021-68888888转8001",
                "ll@x.com",
                "否",
                "新",
            ],
        ],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert (result.new, result.updated) == (1, 1)
    zhang, li = customer.contacts.order_by("id")
    assert (zhang.title, zhang.phone, zhang.is_primary) == ("CEO", "13812345678", True)
    assert (li.phone, li.is_primary, li.note) == ("021-68888888-8001", False, "新")
    customer.refresh_from_db()
    assert customer.version == 2
    entry = HistoryEntry.objects.filter(object_id=str(customer.pk)).first()
    assert entry.version == 2 and entry.changes[0]["field"] == "contacts"
    # Again: nothing changes.
    again = run(
        "contacts",
        [HEADER, [customer.customer_no, "张伟", "CEO", None, None, None, None]],
        users["admin"],
    )
    assert (again.unchanged, again.updated) == (1, 0)


def test_the_primary_contact_moves_and_stays_one(users, make_customer):
    customer = make_customer(users["admin"], contacts=[contact()])
    result = run(
        "contacts",
        [HEADER, [customer.customer_no, "韩梅梅", None, None, None, "是", None]],
        users["admin"],
    )
    assert result.ok, errors(result)
    assert [c.name for c in customer.contacts.filter(is_primary=True)] == ["韩梅梅"]
    two = run(
        "contacts",
        [
            HEADER,
            [customer.customer_no, "甲", None, None, None, "是", None],
            [customer.customer_no, "乙", None, None, None, "是", None],
        ],
        users["admin"],
    )
    assert [(e.row, e.column) for e in two.errors] == [(3, "是否主要联系人")]


def test_a_first_contact_becomes_the_primary(users, make_customer):
    customer = make_customer(users["admin"])
    run(
        "contacts",
        [HEADER, [customer.customer_no, "甲", None, None, None, None, None]],
        users["admin"],
    )
    assert customer.contacts.get().is_primary


def test_unknown_hidden_and_unchangeable_customers_are_row_errors(users, make_customer):
    give_import(users["rep1"])
    mine = make_customer(users["rep1"])
    theirs = make_customer(users["rep2"])
    result = run(
        "contacts",
        [
            HEADER,
            [mine.customer_no, "甲", None, None, None, None, None],
            [theirs.customer_no, "乙", None, None, None, None, None],
            ["C20000101001", "丙", None, None, None, None, None],
            [mine.customer_no, "甲", None, "12", None, "也许", None],
        ],
        users["rep1"],
    )
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "客户ID"),
        (4, "客户ID"),
        (5, "联系方式"),
        (5, "是否主要联系人"),
    ]
    assert not Contact.objects.exists()


def test_a_role_that_may_not_create_customers_may_not_import_contacts(users):
    give_import(users["service"])
    with pytest.raises(PermissionDenied):
        run(
            "contacts",
            [HEADER, ["C20000101001", "甲", None, None, None, None, None]],
            users["service"],
        )


def test_a_contact_phone_another_customer_has_is_noted(users, make_customer):
    make_customer(users["admin"], contacts=[contact(phone="13700001111")])
    customer = make_customer(users["admin"])
    result = run(
        "contacts",
        [HEADER, [customer.customer_no, "甲", None, "137 0000 1111", None, None, None]],
        users["admin"],
        dry_run=True,
    )
    assert result.ok and [n.row for n in result.notes] == [2]
