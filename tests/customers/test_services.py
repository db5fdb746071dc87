import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.features import StaleEdit
from crm.models import HistoryEntry, SecurityEvent
from customers import selectors, services
from customers.models import Customer, Tag


def visible(user, action="view"):
    return set(Customer.objects.for_user(user, action).values_list("name", flat=True))


def test_owner_gets_view_and_change_on_create(users, rep1_customer):
    assert rep1_customer.name in visible(users["rep1"], "change")
    assert rep1_customer.name not in visible(users["rep2"])
    assert rep1_customer.contacts.get().is_primary


def test_first_contact_becomes_primary_when_none_is_marked(users, make_customer):
    customer = make_customer(
        users["rep1"],
        contacts=[services.ContactData(name="甲"), services.ContactData(name="乙")],
    )
    assert [c.name for c in customer.contacts.filter(is_primary=True)] == ["甲"]


def test_two_primaries_are_refused_and_nothing_is_written(users, make_customer):
    before = Customer.objects.count()
    with pytest.raises(ValidationError):
        make_customer(
            users["rep1"],
            contacts=[
                services.ContactData(name="甲", is_primary=True),
                services.ContactData(name="乙", is_primary=True),
            ],
        )
    assert Customer.objects.count() == before


def test_roles_see_what_design_allows(users, rep1_customer, rep2_customer):
    both = {rep1_customer.name, rep2_customer.name}
    assert visible(users["admin"]) == both
    assert visible(users["manager"], "change") == both
    assert visible(users["service"]) == both
    assert visible(users["service"], "change") == set()
    assert visible(users["success"]) == set()
    assert visible(users["rep1"]) == {rep1_customer.name}


def test_success_manager_sees_and_renews_assigned_customer(users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    assert visible(users["success"]) == {customer.name}
    assert visible(users["success"], "renew") == {customer.name}
    assert visible(users["success"], "change") == set()


def test_update_records_field_history_and_bumps_version(users, rep1_customer):
    tag = Tag.objects.get(name="重点客户")
    updated = services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={"level": "A", "city": "上海"},
        expected_version=rep1_customer.version,
        tags=[tag],
    )
    assert updated.version == rep1_customer.version + 1
    entry = HistoryEntry.objects.filter(action="update").get()
    changes = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changes["level"] == ("C", "A")
    assert changes["city"] == ("", "上海")
    assert changes["tags"] == ([], ["重点客户"])
    assert entry.actor == users["rep1"]


def test_stale_update_is_refused_and_reports_the_other_change(users, rep1_customer):
    v = rep1_customer.version
    services.customer_update(
        actor=users["manager"],
        customer=rep1_customer,
        data={"city": "苏州"},
        expected_version=v,
    )
    with pytest.raises(StaleEdit) as exc:
        services.customer_update(
            actor=users["rep1"],
            customer=rep1_customer,
            data={"city": "杭州"},
            expected_version=v,
        )
    assert exc.value.entries[0].actor == users["manager"]
    assert exc.value.entries[0].changes[0]["new"] == "苏州"
    assert Customer.objects.get(pk=rep1_customer.pk).city == "苏州"


def test_reassign_moves_the_owner_grants(users, rep1_customer):
    moved = services.customers_reassign(
        actor=users["manager"],
        customers=Customer.objects.filter(pk=rep1_customer.pk),
        owner=users["rep2"],
    )
    assert moved == 1
    assert rep1_customer.name not in visible(users["rep1"])
    assert rep1_customer.name in visible(users["rep2"], "change")
    entry = HistoryEntry.objects.get(action="reassign")
    assert entry.changes[0]["new"] == "rep2"


def test_reps_cannot_reassign(users, rep1_customer):
    with pytest.raises(PermissionDenied):
        services.customers_reassign(
            actor=users["rep1"],
            customers=Customer.objects.filter(pk=rep1_customer.pk),
            owner=users["rep2"],
        )


def test_share_view_then_edit_then_remove(users, rep1_customer):
    rep2 = users["rep2"]
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=rep2, level="view"
    )
    assert rep1_customer.name in visible(rep2)
    assert rep1_customer.name not in visible(rep2, "change")
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=rep2, level="change"
    )
    assert rep1_customer.name in visible(rep2, "change")
    assert selectors.shares(rep1_customer) == [(rep2, "change")]
    services.customer_unshare(actor=users["rep1"], customer=rep1_customer, user=rep2)
    assert rep1_customer.name not in visible(rep2)
    # The owner's grant on creation, then the two shares and the removal.
    kinds = list(SecurityEvent.objects.order_by("id").values_list("kind", "detail"))
    assert kinds == [
        ("grant", {"detail": "owner"}),
        ("grant", {"detail": "view"}),
        ("grant", {"detail": "change"}),
        ("revoke", {}),
    ]


def test_edit_cannot_be_shared_with_a_view_only_role(users, rep1_customer):
    with pytest.raises(ValidationError):
        services.customer_share(
            actor=users["rep1"],
            customer=rep1_customer,
            user=users["service"],
            level="change",
        )


def test_bulk_tag_adds_and_removes_once(users, rep1_customer, rep2_customer):
    tag = Tag.objects.get(name="风险客户")
    both = Customer.objects.all()
    assert (
        services.customers_tag(actor=users["admin"], customers=both, tag=tag, add=True)
        == 2
    )
    assert (
        services.customers_tag(actor=users["admin"], customers=both, tag=tag, add=True)
        == 0
    )
    assert tag.customer_set.count() == 2
    assert (
        services.customers_tag(actor=users["admin"], customers=both, tag=tag, add=False)
        == 2
    )
    assert tag.customer_set.count() == 0


def test_trash_restore_and_purge_are_audited(users, rep1_customer):
    admin = users["admin"]
    services.customer_delete(actor=admin, customer=rep1_customer)
    assert rep1_customer.name not in visible(users["rep1"])
    services.customer_restore(actor=admin, customer=rep1_customer)
    assert rep1_customer.name in visible(users["rep1"])
    services.customer_delete(actor=admin, customer=rep1_customer)
    services.customer_purge(actor=admin, customer=rep1_customer)
    assert not Customer.objects.filter(pk=rep1_customer.pk).exists()
    trash = ["delete", "restore", "purge"]
    kinds = SecurityEvent.objects.filter(kind__in=trash).order_by("id")
    assert list(kinds.values_list("kind", flat=True)) == [
        "delete",
        "restore",
        "delete",
        "purge",
    ]


def test_contacts_are_updated_in_place_and_primary_can_move(users, make_customer):
    customer = make_customer(
        users["rep1"],
        contacts=[
            services.ContactData(name="甲", is_primary=True),
            services.ContactData(name="乙"),
        ],
    )
    first, second = customer.contacts.order_by("id")
    services.customer_update(
        actor=users["rep1"],
        customer=customer,
        data={},
        expected_version=customer.version,
        contacts=[
            services.ContactData(name="甲", title="总经理", id=first.pk),
            services.ContactData(name="乙", is_primary=True, id=second.pk),
            services.ContactData(name="丙"),
        ],
    )
    rows = list(
        customer.contacts.order_by("id").values_list("id", "name", "is_primary")
    )
    assert rows[:2] == [(first.pk, "甲", False), (second.pk, "乙", True)]
    assert rows[2][1:] == ("丙", False)
    entry = HistoryEntry.objects.get(action="update")
    change = entry.changes[0]
    assert change["field"] == "contacts"
    added = {(c["name"], c["title"], c["is_primary"]) for c in change["new"]}
    assert added == {("甲", "总经理", False), ("乙", "", True), ("丙", "", False)}
