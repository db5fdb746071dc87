"""The permission primitives under the restricted queryset (crm/permissions.py)."""

from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from guardian.shortcuts import assign_perm

from crm import permissions, roles
from customers import selectors, services
from customers.models import Customer
from tests.factories import make_user


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def test_a_share_with_one_colleague_opens_nothing_to_another(
    users, rep1_customer, rep2_customer
):
    # Given rep2's customer is shared with the success user only
    services.customer_share(
        actor=users["rep2"], customer=rep2_customer, user=users["success"], level="view"
    )
    # Then rep1 still sees only its own customer, and success sees the share
    assert names(Customer.objects.for_user(users["rep1"])) == {rep1_customer.name}
    assert names(Customer.objects.for_user(users["success"])) == {rep2_customer.name}


def test_a_groups_share_opens_nothing_to_members_of_another_group(
    users, rep1_customer, rep2_customer
):
    # Given two teams, each holding a share of a different customer
    east, south = (
        Group.objects.create(name="华东组"),
        Group.objects.create(name="华南组"),
    )
    assign_perm("customers.view_customer", east, rep1_customer)
    assign_perm("customers.view_customer", south, rep2_customer)
    member = make_user("rep3", roles.SALES_REP)
    member.groups.add(east)

    # Then a member of one team sees that team's customer only
    assert names(Customer.objects.for_user(member)) == {rep1_customer.name}


def test_direct_and_group_shares_add_up(users, rep1_customer, rep2_customer):
    # Given rep3 holds a share of its own and one through its team
    team = Group.objects.create(name="华东组")
    assign_perm("customers.view_customer", team, rep2_customer)
    rep3 = make_user("rep3", roles.SALES_REP)
    rep3.groups.add(team)
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=rep3, level="view"
    )
    # Then it sees both customers
    assert names(Customer.objects.for_user(rep3)) == {
        rep1_customer.name,
        rep2_customer.name,
    }


def test_only_active_signed_in_users_hold_model_permissions(users):
    boss = User.objects.create_superuser("boss", password="x-12345-test")
    assert permissions.has_model_perm(boss, Customer, "view")
    boss.is_active = False
    assert not permissions.has_model_perm(boss, Customer, "view")
    assert not permissions.has_model_perm(AnonymousUser(), Customer, "view")


def test_the_permission_id_is_the_one_of_that_model(db):
    permissions._permission_ids.clear()
    expected = Permission.objects.get(
        content_type__app_label="customers", codename="view_customer"
    )
    assert permissions.permission_id(Customer, "view") == expected.pk
    assert permissions.permission_id(Customer, "fly") is None


def test_a_superuser_may_own_customers_without_a_role(users):
    boss = User.objects.create_superuser("boss", password="x-12345-test")
    assert boss in selectors.owner_candidates()
    assert users["service"] not in selectors.owner_candidates()


def test_the_share_list_names_only_colleagues_shared_with_directly(
    users, rep1_customer
):
    # Given a superuser and a team holding a share, besides one direct share
    User.objects.create_superuser("boss", password="x-12345-test")
    team = Group.objects.create(name="华东组")
    users["rep2"].groups.add(team)
    assign_perm("customers.view_customer", team, rep1_customer)
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["manager"], level="view"
    )
    # Then the customer's share panel lists the direct share only
    assert selectors.shares(rep1_customer) == [(users["manager"], "view")]
