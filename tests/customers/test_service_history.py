"""What each customer service leaves behind: history, versions, security events."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import translation

from crm import history, roles
from crm.models import HistoryEntry, SecurityEvent
from crm.services import record_purge
from customers import services
from customers.models import Customer, Tag


def rows(customer):
    """The latest history entry of `customer`, as an English reader sees it."""
    with translation.override("en"):
        entry = history.present(history.entries_for(customer)[:1], Customer)[0]
    return entry, entry.rows


def refreshed(customer):
    return Customer.objects.get(pk=customer.pk)


def english_error(call) -> list[str]:
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        call()
    return exc.value.messages


def test_bulk_tagging_skips_tagged_customers_and_records_each_change(
    users, make_customer
):
    # Given three customers, the most recently updated one already tagged
    tag = Tag.objects.get(name="重点客户")
    a, b = make_customer(users["rep1"]), make_customer(users["rep1"])
    tagged = make_customer(users["rep1"], tags=[tag])
    versions = {c.pk: c.version for c in (a, b, tagged)}

    # When the manager adds the tag to all three
    n = services.customers_tag(
        actor=users["manager"], customers=Customer.objects.all(), tag=tag, add=True
    )

    # Then the two others changed, once each, by the manager
    assert n == 2
    for c in (a, b):
        assert refreshed(c).version == versions[c.pk] + 1
        entry, changes = rows(c)
        assert entry.actor == users["manager"] and entry.version == versions[c.pk] + 1
        assert changes == [{"label": "tags", "old": "", "new": "重点客户"}]
        assert entry.changes == [{"field": "tags", "old": [], "new": ["重点客户"]}]
    assert refreshed(tagged).version == versions[tagged.pk]

    # And removing it records the tag as removed
    services.customers_tag(
        actor=users["manager"],
        customers=Customer.objects.filter(pk=a.pk),
        tag=tag,
        add=False,
    )
    entry, changes = rows(a)
    assert changes == [{"label": "tags", "old": "重点客户", "new": ""}]
    assert entry.changes == [{"field": "tags", "old": ["重点客户"], "new": []}]


def test_bulk_reassign_skips_customers_the_owner_has_and_records_each_change(
    users, make_customer
):
    # Given rep1's customer with a success manager, and one rep2 already owns
    mine = make_customer(users["rep1"], success_manager=users["success"])
    theirs = make_customer(users["rep2"])
    versions = {mine.pk: mine.version}
    events = SecurityEvent.objects.count()

    # When the manager reassigns both to rep2
    n = services.customers_reassign(
        actor=users["manager"], customers=Customer.objects.all(), owner=users["rep2"]
    )

    # Then only rep1's changed hands, recorded by the manager
    assert n == 1
    entry, changes = rows(mine)
    assert (
        entry.action == HistoryEntry.Action.REASSIGN and entry.actor == users["manager"]
    )
    assert changes == [{"label": "owner", "old": "rep1", "new": "rep2"}]
    assert entry.version == refreshed(mine).version == versions[mine.pk] + 1
    assert refreshed(theirs).version == theirs.version
    new_events = SecurityEvent.objects.order_by("id")[events:]
    assert [(e.kind, e.actor, e.detail["detail"]) for e in new_events] == [
        ("revoke", users["manager"], "owner"),
        ("grant", users["manager"], "owner"),
    ]


def test_sharing_is_recorded_on_the_customer_and_audited(users, rep1_customer):
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="change"
    )
    entry, changes = rows(rep1_customer)
    assert entry.actor == users["rep1"] and entry.version == rep1_customer.version
    assert changes == [{"label": "Access of rep2", "old": "", "new": "View and edit"}]
    assert (
        SecurityEvent.objects.filter(kind="grant", actor=users["rep1"])
        .exclude(detail={"detail": "owner"})
        .get()
        .target
        == f"{rep1_customer.customer_no} → rep2"
    )

    assert entry.changes == [
        {"field": "share", "label": "rep2", "old": "", "new": "change"}
    ]

    services.customer_unshare(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"]
    )
    assert SecurityEvent.objects.get(kind="revoke").actor == users["rep1"]
    entry, changes = rows(rep1_customer)
    assert (entry.action, entry.actor, entry.version) == (
        "unshare",
        users["rep1"],
        rep1_customer.version,
    )
    assert entry.changes == [{"field": "share", "label": "rep2", "old": "", "new": ""}]
    assert changes == [{"label": "Access of rep2", "old": "", "new": ""}]


def test_sharing_refusals_say_why(users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])

    def share(user, level):
        return lambda: services.customer_share(
            actor=users["rep1"], customer=customer, user=user, level=level
        )

    def unshare(user):
        return lambda: services.customer_unshare(
            actor=users["rep1"], customer=customer, user=user
        )

    assert english_error(share(users["rep2"], "own")) == ["Choose view or edit access."]
    assert english_error(share(users["rep1"], "view")) == [
        "The owner already has full access."
    ]
    assert english_error(share(users["service"], "change")) == [
        "service's role cannot edit customers; share view access instead."
    ]
    assert english_error(unshare(users["rep1"])) == [
        "The owner's access cannot be removed."
    ]
    assert english_error(unshare(users["success"])) == [
        "success is this customer's success manager; choose another success "
        "manager in the customer's form instead."
    ]


def test_the_trash_records_who_and_at_which_version(users, rep1_customer):
    services.customer_delete(actor=users["admin"], customer=rep1_customer)
    trashed = refreshed(rep1_customer)
    assert trashed.deleted_by == users["admin"]
    entry = history.entries_for(trashed).first()
    assert (entry.action, entry.version) == ("delete", trashed.version)
    services.customer_restore(actor=users["admin"], customer=trashed)
    entry = history.entries_for(trashed).first()
    assert (entry.action, entry.version) == ("restore", trashed.version)


def test_only_a_trashed_record_can_be_purged(users, rep1_customer):
    with pytest.raises(ValueError, match="^only a record in the trash can be purged$"):
        record_purge(actor=users["admin"], record=rep1_customer)


def test_the_renewal_date_is_recorded_under_its_editor(users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    services.customer_update_renewal(
        actor=users["success"],
        customer=customer,
        renewal_date="2031-01-31",
        expected_version=customer.version,
    )
    assert rows(customer)[0].actor == users["success"]


def test_a_customer_whose_holders_lost_their_roles_can_still_be_edited(
    users, make_customer
):
    # Given a customer whose owner and success manager have since left their roles
    customer = make_customer(users["rep1"], success_manager=users["success"])
    users["rep1"].groups.remove(Group.objects.get(name=roles.SALES_REP))
    users["success"].groups.remove(Group.objects.get(name=roles.SUCCESS))

    # When the manager edits something else, the old holders do not block it
    services.customer_update(
        actor=users["manager"],
        customer=customer,
        data={"city": "宁波"},
        expected_version=customer.version,
    )
    assert refreshed(customer).city == "宁波"


def test_bulk_reassign_counts_every_customer_it_changed(users, make_customer):
    make_customer(users["rep1"]), make_customer(users["rep1"])
    n = services.customers_reassign(
        actor=users["manager"], customers=Customer.objects.all(), owner=users["rep2"]
    )
    assert n == 2
