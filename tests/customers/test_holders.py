"""Who holds a customer (customers/services.py): owner and success manager by
their columns, colleagues by shares; the role rules hold on every write path."""

import pytest
from django.core.exceptions import ValidationError

from crm import roles
from crm.features import StaleEdit
from crm.models import SecurityEvent
from customers import services
from customers.models import Customer, CustomerUserObjectPermission
from tests.factories import client_for, customer_form_data, make_user


def sees(user, customer, action="view") -> bool:
    return Customer.objects.for_user(user, action).filter(pk=customer.pk).exists()


def grant_rows(user, customer) -> int:
    return CustomerUserObjectPermission.objects.filter(
        user=user, content_object=customer
    ).count()


def events(kind, detail=None) -> list[str]:
    rows = SecurityEvent.objects.filter(kind=kind)
    if detail is not None:
        rows = rows.filter(detail__detail=detail)
    return list(rows.values_list("target", flat=True))


# --- reassigning ------------------------------------------------------------


def test_reassign_bumps_the_version_so_an_open_edit_is_stale(users, rep1_customer):
    loaded = rep1_customer.version
    qs = Customer.objects.filter(pk=rep1_customer.pk)
    services.customers_reassign(
        actor=users["manager"], customers=qs, owner=users["rep2"]
    )
    assert Customer.objects.get(pk=rep1_customer.pk).version == loaded + 1
    with pytest.raises(StaleEdit):
        services.customer_update(
            actor=users["rep1"],
            customer=rep1_customer,
            data={"city": "温州"},
            expected_version=loaded,
        )


def test_a_reassigned_owner_loses_access_and_keeps_no_grant(users, rep1_customer):
    # Given rep1's customer, once shared with rep2 for editing
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="change"
    )
    qs = Customer.objects.filter(pk=rep1_customer.pk)
    # When the manager makes rep2 the owner, then hands it on to a new rep
    services.customers_reassign(
        actor=users["manager"], customers=qs, owner=users["rep2"]
    )
    rep3 = make_user("rep3", roles.SALES_REP)
    services.customers_reassign(actor=users["manager"], customers=qs, owner=rep3)
    # Then neither former owner sees it, and no grant row is left behind
    for former in (users["rep1"], users["rep2"]):
        assert not sees(former, rep1_customer)
        assert grant_rows(former, rep1_customer) == 0
    assert sees(rep3, rep1_customer, "change")
    assert len(events(SecurityEvent.Kind.REVOKE, "owner")) == 2
    assert len(events(SecurityEvent.Kind.GRANT, "owner")) == 3


def test_an_owner_changed_in_the_form_loses_access(users, rep1_customer):
    services.customer_update(
        actor=users["manager"],
        customer=rep1_customer,
        data={"owner": users["rep2"]},
        expected_version=rep1_customer.version,
    )
    assert not sees(users["rep1"], rep1_customer)
    assert grant_rows(users["rep1"], rep1_customer) == 0
    assert sees(users["rep2"], rep1_customer, "change")
    [revoked] = events(SecurityEvent.Kind.REVOKE, "owner")
    assert revoked.endswith("rep1")


# --- success managers -------------------------------------------------------


def test_a_new_success_manager_replaces_the_old_ones_access(users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    success2 = make_user("success2", roles.SUCCESS)
    services.customer_update(
        actor=users["manager"],
        customer=customer,
        data={"success_manager": success2},
        expected_version=customer.version,
    )
    assert not sees(users["success"], customer)
    assert not sees(users["success"], customer, "renew")
    assert sees(success2, customer, "renew")
    assert events(SecurityEvent.Kind.REVOKE, "success_manager")[0].endswith("success")
    assert len(events(SecurityEvent.Kind.GRANT, "success_manager")) == 2


# --- the role rules on every write path --------------------------------------


@pytest.mark.parametrize("who", ["service", "success"])
def test_a_role_that_cannot_own_is_refused_as_owner_on_create(users, who):
    with pytest.raises(ValidationError) as refused:
        services.customer_create(
            actor=users["manager"], data={"name": "拒绝有限公司", "owner": users[who]}
        )
    assert "owner" in refused.value.message_dict
    assert not Customer.objects.filter(name="拒绝有限公司").exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.GRANT).exists()


@pytest.mark.parametrize("who", ["service", "success"])
def test_a_role_that_cannot_own_is_refused_as_owner_on_edit(users, rep1_customer, who):
    before = SecurityEvent.objects.count()
    with pytest.raises(ValidationError):
        services.customer_update(
            actor=users["manager"],
            customer=rep1_customer,
            data={"owner": users[who]},
            expected_version=rep1_customer.version,
        )
    assert Customer.objects.get(pk=rep1_customer.pk).owner == users["rep1"]
    assert SecurityEvent.objects.count() == before


@pytest.mark.parametrize("who", ["service", "success"])
def test_a_role_that_cannot_own_is_refused_in_bulk_reassign(users, rep1_customer, who):
    qs = Customer.objects.filter(pk=rep1_customer.pk)
    with pytest.raises(ValidationError):
        services.customers_reassign(
            actor=users["manager"], customers=qs, owner=users[who]
        )
    assert Customer.objects.get(pk=rep1_customer.pk).owner == users["rep1"]
    assert not sees(users[who], rep1_customer, "change")


def test_bulk_reassign_to_a_refused_role_through_the_page(client, users, rep1_customer):
    client_for(client, users["manager"]).post(
        "/customers/bulk/",
        {
            "action": "reassign",
            "owner": users["service"].pk,
            "selected": [rep1_customer.customer_no],
        },
    )
    assert Customer.objects.get(pk=rep1_customer.pk).owner == users["rep1"]


@pytest.mark.parametrize("who", ["rep2", "service"])
def test_a_role_that_does_not_look_after_customers_is_refused_as_success_manager(
    users, rep1_customer, who
):
    with pytest.raises(ValidationError) as refused:
        services.customer_create(
            actor=users["rep1"],
            data={
                "name": "拒绝有限公司",
                "owner": users["rep1"],
                "success_manager": users[who],
            },
        )
    assert "success_manager" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.customer_update(
            actor=users["rep1"],
            customer=rep1_customer,
            data={"success_manager": users[who]},
            expected_version=rep1_customer.version,
        )
    assert Customer.objects.get(pk=rep1_customer.pk).success_manager is None


def test_a_success_manager_through_the_edit_form(client, users, rep1_customer):
    data = customer_form_data(rep1_customer, success_manager=users["rep2"].pk)
    client_for(client, users["manager"]).post(
        f"/customers/{rep1_customer.customer_no}/edit/", data
    )
    assert Customer.objects.get(pk=rep1_customer.pk).success_manager is None


def test_allowed_holders_leave_security_events(users):
    customer = services.customer_create(
        actor=users["manager"],
        data={
            "name": "允许有限公司",
            "owner": users["rep2"],
            "success_manager": users["success"],
        },
    )
    assert events(SecurityEvent.Kind.GRANT, "owner") == [
        f"{customer.customer_no} → rep2"
    ]
    assert events(SecurityEvent.Kind.GRANT, "success_manager") == [
        f"{customer.customer_no} → success"
    ]


# --- shares -----------------------------------------------------------------


def test_the_owners_access_cannot_be_unshared(users, rep1_customer):
    with pytest.raises(ValidationError):
        services.customer_unshare(
            actor=users["manager"], customer=rep1_customer, user=users["rep1"]
        )
    assert sees(users["rep1"], rep1_customer, "change")


def test_the_success_managers_access_cannot_be_unshared(users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    with pytest.raises(ValidationError):
        services.customer_unshare(
            actor=users["rep1"], customer=customer, user=users["success"]
        )
    assert sees(users["success"], customer, "renew")


def test_a_share_downgraded_to_view_no_longer_allows_edit(users, rep1_customer):
    share = dict(actor=users["rep1"], customer=rep1_customer, user=users["rep2"])
    services.customer_share(**share, level="change")
    assert sees(users["rep2"], rep1_customer, "change")
    services.customer_share(**share, level="view")
    assert sees(users["rep2"], rep1_customer)
    assert not sees(users["rep2"], rep1_customer, "change")


def test_unsharing_removes_access_and_is_audited(users, rep1_customer):
    share = dict(actor=users["rep1"], customer=rep1_customer, user=users["rep2"])
    services.customer_share(**share, level="change")
    services.customer_unshare(**share)
    assert not sees(users["rep2"], rep1_customer)
    assert grant_rows(users["rep2"], rep1_customer) == 0
    assert events(SecurityEvent.Kind.REVOKE) == [f"{rep1_customer.customer_no} → rep2"]


@pytest.mark.parametrize("who", ["service", "success"])
def test_edit_access_is_only_shared_with_roles_that_may_edit(users, rep1_customer, who):
    with pytest.raises(ValidationError):
        services.customer_share(
            actor=users["rep1"], customer=rep1_customer, user=users[who], level="change"
        )
    assert not sees(users[who], rep1_customer, "change")
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users[who], level="view"
    )
    assert sees(users[who], rep1_customer)


def test_sharing_with_the_owner_or_an_unknown_level_is_refused(users, rep1_customer):
    for user, level in [(users["rep1"], "view"), (users["rep2"], "delete")]:
        with pytest.raises(ValidationError):
            services.customer_share(
                actor=users["rep1"], customer=rep1_customer, user=user, level=level
            )
    assert grant_rows(users["rep2"], rep1_customer) == 0


def test_a_refusal_names_the_colleague_by_full_name_or_username(users, rep1_customer):
    qs = Customer.objects.filter(pk=rep1_customer.pk)
    with pytest.raises(ValidationError) as by_username:
        services.customers_reassign(
            actor=users["manager"], customers=qs, owner=users["service"]
        )
    assert by_username.value.messages[0].startswith("service")
    users["service"].first_name, users["service"].last_name = "芳", "王"
    users["service"].save()
    with pytest.raises(ValidationError) as by_name:
        services.customers_reassign(
            actor=users["manager"], customers=qs, owner=users["service"]
        )
    assert by_name.value.messages[0].startswith("芳 王")
