"""`Model.objects.for_user()`: where each role's rows come from (crm/querysets.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from guardian.shortcuts import assign_perm

from crm import roles
from customers import services
from customers.models import Contact, Customer
from tests.factories import make_user


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


@pytest.fixture
def east_team(users, rep1_customer):
    """A group rep2 belongs to, holding a view share of rep1's customer."""
    group = Group.objects.create(name="华东销售组")
    users["rep2"].groups.add(group)
    assign_perm("customers.view_customer", group, rep1_customer)
    return group


def test_a_member_of_a_group_holding_a_share_sees_the_customer(
    users, rep1_customer, east_team
):
    rep2 = users["rep2"]
    assert names(Customer.objects.for_user(rep2)) == {rep1_customer.name}
    # view only: the group's grant gives no edit access
    assert not Customer.objects.for_user(rep2, "change").exists()


def test_a_rep_outside_the_group_does_not_see_the_shared_customer(
    users, rep1_customer, east_team
):
    rep3 = make_user("rep3", roles.SALES_REP)
    assert not Customer.objects.for_user(rep3).exists()


def test_a_group_change_share_allows_edit_for_members(users, rep1_customer):
    group = Group.objects.create(name="华东销售组")
    users["rep2"].groups.add(group)
    assign_perm("customers.change_customer", group, rep1_customer)
    assert names(Customer.objects.for_user(users["rep2"], "change")) == {
        rep1_customer.name
    }


def test_inactive_and_anonymous_users_see_nothing(users, rep1_customer):
    rep1 = users["rep1"]
    rep1.is_active = False
    rep1.save()
    assert not Customer.objects.for_user(rep1).exists()
    assert not Customer.objects.for_user(AnonymousUser()).exists()
    assert not Contact.objects.for_user(AnonymousUser()).exists()


def test_the_owner_may_view_and_change_but_not_renew_or_delete(users, rep1_customer):
    rep1 = users["rep1"]
    for action, allowed in [
        ("view", True),
        ("change", True),
        ("renew", False),
        ("delete", False),
    ]:
        assert Customer.objects.for_user(rep1, action).exists() is allowed, action


def test_the_success_manager_may_view_and_renew_but_not_change(users, make_customer):
    make_customer(users["rep1"], success_manager=users["success"])
    success = users["success"]
    for action, allowed in [("view", True), ("renew", True), ("change", False)]:
        assert Customer.objects.for_user(success, action).exists() is allowed, action


def test_contacts_follow_their_customer(users, rep1_customer, rep2_customer):
    rep1 = users["rep1"]
    mine = set(rep1_customer.contacts.values_list("pk", flat=True))
    assert set(Contact.objects.for_user(rep1).values_list("pk", flat=True)) == mine
    assert set(
        Contact.objects.for_user(rep1, "change").values_list("pk", flat=True)
    ) == (mine)
    # service sees every contact, changes none
    assert Contact.objects.for_user(users["service"]).count() == 2
    assert not Contact.objects.for_user(users["service"], "change").exists()
    # no contact action beyond view and change reaches through the customer
    assert not Contact.objects.for_user(rep1, "delete").exists()


def test_annotate_allowed_flags_each_row(users, rep1_customer, rep2_customer):
    rows = Customer.objects.for_user(users["admin"]).annotate_allowed(
        users["rep1"], "change", "can_change"
    )
    flags = {c.name: c.can_change for c in rows}
    assert flags == {rep1_customer.name: True, rep2_customer.name: False}
    everything = Customer.objects.annotate_allowed(users["manager"], "change", "ok")
    assert all(c.ok for c in everything) and everything.count() == 2


def test_the_trash_is_for_roles_that_may_delete(users, rep1_customer, rep2_customer):
    services.customer_delete(actor=users["admin"], customer=rep1_customer)
    assert names(Customer.objects.trash_for_user(users["admin"])) == {
        rep1_customer.name
    }
    assert not Customer.objects.trash_for_user(users["manager"]).exists()
    assert names(Customer.objects.for_user(users["admin"])) == {rep2_customer.name}
