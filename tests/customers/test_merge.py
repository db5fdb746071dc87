"""Merging two customers: nothing is lost, both versions are checked, only
roles that merge (on customers they may change) do it, and the dropped
customer's ID leads to the kept one."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crm import history, roles
from crm.features import StaleEdit
from crm.models import HistoryEntry, SecurityEvent
from customers import merging, services
from customers.models import (
    Contact,
    Customer,
    CustomerAlias,
    CustomerUserObjectPermission,
    Tag,
)
from followups.models import FollowUp, Ticket
from opportunities import services as opportunity_services
from opportunities.models import Opportunity, Payment, Stage
from tests import querycount
from tests.factories import (
    client_for,
    contact,
    make_customer,
    make_followup,
    make_opportunity,
    make_ticket,
    make_user,
    valid_code,
)

pytestmark = pytest.mark.django_db


def merge(actor, keep, drop, **choices):
    keep.refresh_from_db()
    drop.refresh_from_db()
    return merging.merge_customers(
        actor=actor,
        keep=keep,
        drop=drop,
        keep_version=keep.version,
        drop_version=drop.version,
        choices=choices,
    )


@pytest.fixture
def pair(users):
    """Two records of one company, each with everything a customer can have."""
    admin, rep1, rep2 = users["admin"], users["rep1"], users["rep2"]
    tags = {t.name: t for t in Tag.objects.all()}
    keep = make_customer(
        rep1,
        name="合并测试科技有限公司",
        credit_code=valid_code("91310000MA1FL0001"),
        contacts=[contact(name="张伟", phone="13811110001", email="zw@k.com")],
        tags=[tags["重点客户"], tags["高潜力客户"]],
    )
    drop = make_customer(
        rep2,
        name="合并测试科技 有限公司",
        city="上海",
        contacts=[
            contact(name="李娜", phone="13811110002", email="ln@d.com"),
            contact(name="王强", phone="13811110003", email="wq@d.com"),
        ],
        tags=[tags["重点客户"], tags["风险客户"]],
    )
    for customer, owner in ((keep, rep1), (drop, rep2)):
        make_followup(owner, customer)
        make_followup(owner, customer, content="上门拜访")
        make_ticket(admin, customer)
        won = make_opportunity(
            owner, customer, stage=Stage.WON, amount=Decimal("200000.00")
        )
        opportunity_services.payment_add(
            actor=owner,
            opportunity=won,
            data={
                "amount": Decimal("50000.00"),
                "received_on": datetime.date.today(),
                "method": "bank",
            },
        )
        make_opportunity(owner, customer, stage=Stage.PROPOSAL)
    # Shares: the manager has view on both (one row must go), service has
    # edit on the dropped one only, rep1 (the kept one's owner) view on it.
    for customer in (keep, drop):
        services.customer_share(
            actor=admin, customer=customer, user=users["success"], level="view"
        )
    services.customer_share(actor=admin, customer=drop, user=rep1, level="view")
    keep.refresh_from_db()
    drop.refresh_from_db()
    return keep, drop


def counts(*customers):
    pks = [c.pk for c in customers]
    return {
        "contacts": Contact.objects.filter(customer__in=pks).count(),
        "followups": FollowUp.objects.filter(customer__in=pks).count(),
        "tickets": Ticket.objects.filter(customer__in=pks).count(),
        "opportunities": Opportunity.objects.filter(customer__in=pks).count(),
        "payments": Payment.objects.filter(opportunity__customer__in=pks).count(),
        "history": HistoryEntry.objects.filter(object_id__in=[str(p) for p in pks])
        .filter(content_type__model="customer")
        .count(),
    }


def test_nothing_is_lost(users, pair):
    keep, drop = pair
    before = counts(keep, drop)
    assert before == {
        "contacts": 3,
        "followups": 4,
        "tickets": 2,
        "opportunities": 4,
        "payments": 2,
        "history": before["history"],
    }
    amounts = keep.historical_amount + drop.historical_amount
    assert amounts == Decimal("400000.00")
    drop_pk, drop_no = drop.pk, drop.customer_no
    drop_opps = set(
        Opportunity.objects.filter(customer=drop).values_list("pk", flat=True)
    )

    kept = merge(users["manager"], keep, drop)

    after = counts(kept)
    # Every row moved; the history grew by the merge entry and the share
    # that keeps the dropped one's owner on it.
    assert {**after, "history": after["history"] - 2} == before
    assert not Customer.objects.filter(pk=drop_pk).exists()
    assert (
        set(Opportunity.objects.filter(customer=kept).values_list("pk", flat=True))
        >= drop_opps
    )
    # The amount defaults to the sum: both wins stay counted once.
    assert kept.historical_amount == amounts
    # One primary contact: the kept customer's.
    assert list(
        kept.contacts.filter(is_primary=True).values_list("name", flat=True)
    ) == ["张伟"]
    # Tags: the union.
    assert set(kept.tags.values_list("name", flat=True)) == {
        "重点客户",
        "高潜力客户",
        "风险客户",
    }
    # Shares: moved, de-duplicated, none for the kept customer's owner; the
    # dropped one's owner keeps editing what they brought.
    shares = CustomerUserObjectPermission.objects.filter(content_object=kept)
    assert sorted(shares.values_list("user__username", "permission__codename")) == [
        ("rep2", "change_customer"),
        ("rep2", "view_customer"),
        ("success", "view_customer"),
    ]
    assert not CustomerUserObjectPermission.objects.filter(
        content_object_id=drop_pk
    ).exists()
    # History: the dropped one's entries now read on the kept one, with a
    # "merged from" entry naming it.
    entry = history.entries_for(kept).filter(action=HistoryEntry.Action.MERGE).get()
    assert {
        "field": "merged_from",
        "old": "",
        "new": f"{drop_no} 合并测试科技 有限公司",
    } in entry.changes
    assert not HistoryEntry.objects.filter(
        content_type__model="customer", object_id=str(drop_pk)
    ).exists()
    # The old ID leads to the kept customer.
    assert CustomerAlias.objects.get(customer_no=drop_no).customer == kept
    # Audited, with the dropped record's own values.
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MERGE)
    assert event.target == f"{drop_no} → {kept.customer_no}"
    assert event.actor == users["manager"]
    assert event.detail["dropped"]["city"] == "上海"
    assert event.detail["moved"]["followups.followup"] == 2
    assert event.detail["moved"]["opportunities.opportunity"] == 2
    assert "contacts" not in event.detail["dropped"]


def test_reverting_a_moved_win_takes_its_amount_off_the_kept_customer(users, pair):
    keep, drop = pair
    kept = merge(users["admin"], keep, drop)
    lost_win = (
        Opportunity.objects.filter(customer=kept, stage=Stage.WON)
        .exclude(owner=users["rep1"])
        .get()
    )
    Payment.objects.filter(opportunity=lost_win).delete()
    lost_win.refresh_from_db()
    opportunity_services.opportunity_move(
        actor=users["admin"],
        opportunity=lost_win,
        stage=Stage.PROPOSAL,
        expected_version=lost_win.version,
    )
    kept.refresh_from_db()
    assert kept.historical_amount == Decimal("200000.00")


def test_the_picked_values_win(users, pair):
    keep, drop = pair
    code = keep.credit_code
    kept = merge(
        users["admin"],
        keep,
        drop,
        name=merging.DROP,
        city=merging.DROP,
        owner=merging.DROP,
        historical_amount=merging.KEEP,
    )
    assert kept.name == "合并测试科技 有限公司"
    assert kept.city == "上海"
    assert kept.owner == users["rep2"]
    assert kept.credit_code == code  # the dropped one had none
    assert kept.historical_amount == Decimal("200000.00")
    # The new owner's old share is redundant; rep1 lost the ownership.
    assert (
        Customer.objects.for_user(users["rep2"], "change").filter(pk=kept.pk).exists()
    )


def test_the_dropped_credit_code_can_be_kept(users):
    code = valid_code("91310000MA1FL0002")
    keep = make_customer(users["rep1"], name="甲")
    drop = make_customer(users["rep1"], name="甲", credit_code=code)
    kept = merge(users["admin"], keep, drop, credit_code=merging.DROP)
    assert kept.credit_code == code


def test_a_changed_customer_refuses_the_merge(users, pair):
    keep, drop = pair
    stale = drop.version
    services.customer_update(
        actor=users["rep2"],
        customer=drop,
        data={"city": "杭州"},
        expected_version=drop.version,
    )
    before = counts(keep, drop)
    with pytest.raises(StaleEdit):
        merging.merge_customers(
            actor=users["admin"],
            keep=keep,
            drop=drop,
            keep_version=keep.version,
            drop_version=stale,
        )
    assert counts(keep, drop) == before
    assert Customer.objects.filter(pk=drop.pk).exists()


@pytest.mark.parametrize("role", ["rep1", "rep2", "service", "success"])
def test_only_roles_that_merge_may(users, pair, role):
    keep, drop = pair
    with pytest.raises(PermissionDenied):
        merge(users[role], keep, drop)


def test_both_customers_must_be_changeable(users):
    # A manager-like user holding the merge permission but edit on one only.
    from django.contrib.auth.models import Permission

    rep1 = users["rep1"]
    rep1.user_permissions.add(Permission.objects.get(codename="merge_customer"))
    rep1 = type(rep1).objects.get(pk=rep1.pk)
    mine = make_customer(rep1, name="乙")
    theirs = make_customer(users["rep2"], name="乙")
    with pytest.raises(PermissionDenied):
        merge(rep1, mine, theirs)


# --- pages ----------------------------------------------------------------


def merge_url(keep, drop):
    return (
        reverse("customers:customer_merge")
        + f"?keep={keep.customer_no}&drop={drop.customer_no}"
    )


def test_the_page_shows_both_and_the_post_merges(users, client, pair):
    keep, drop = pair
    manager = client_for(client, users["manager"])
    response = manager.get(merge_url(keep, drop))
    assert response.status_code == 200
    text = response.content.decode()
    assert keep.customer_no in text and drop.customer_no in text
    assert "两者相加：¥400,000.00" in text
    form = response.context["form"]
    assert "field_name" in form.fields and "field_city" in form.fields
    data = {
        "keep": keep.customer_no,
        "drop": drop.customer_no,
        "keep_version": keep.version,
        "drop_version": drop.version,
        "field_name": "keep",
        "field_city": "drop",
        "field_historical_amount": "sum",
        "field_credit_code": "keep",
        "field_owner": "keep",
    }
    response = manager.post(reverse("customers:customer_merge"), data)
    assert response.status_code == 302
    assert response["Location"] == keep.get_absolute_url()
    keep.refresh_from_db()
    assert keep.city == "上海"
    # The dropped customer's address now leads to the kept one.
    response = manager.get(f"/customers/{drop.customer_no}/")
    assert response.status_code == 302
    assert response["Location"] == keep.get_absolute_url()
    # ...for the dropped one's owner too (they keep an edit share)...
    client.force_login(users["rep2"])
    assert client.get(f"/customers/{drop.customer_no}/").status_code == 302
    # ...and only for users who may view it: anyone else gets a 404.
    client.force_login(make_user("rep3", roles.SALES_REP))
    assert client.get(f"/customers/{drop.customer_no}/").status_code == 404


def test_a_stale_post_merges_nothing_and_reloads_the_page(users, client, pair):
    keep, drop = pair
    manager = client_for(client, users["manager"])
    form = manager.get(merge_url(keep, drop)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["keep_version"] = keep.version - 1
    response = manager.post(reverse("customers:customer_merge"), data, follow=True)
    assert Customer.objects.filter(pk=drop.pk).exists()
    assert "没有合并" in response.content.decode()


@pytest.mark.parametrize(
    "role, status",
    [("admin", 200), ("manager", 200), ("rep1", 403), ("rep2", 403), ("service", 403)],
)
def test_who_opens_the_merge_page(users, client, pair, role, status):
    keep, drop = pair
    client.force_login(users[role])
    assert client.get(merge_url(keep, drop)).status_code == status


def test_a_missing_customer_is_404(users, client, pair):
    keep, _drop = pair
    client.force_login(users["admin"])
    url = reverse("customers:customer_merge") + f"?keep={keep.customer_no}&drop=C1"
    assert client.get(url).status_code == 404


def test_values_are_escaped_on_the_merge_page(users, client):
    keep = make_customer(users["rep1"], name="<i>甲</i>")
    drop = make_customer(users["rep1"], name="<script>x</script>")
    client.force_login(users["admin"])
    text = client.get(merge_url(keep, drop)).content.decode()
    assert "<script>x</script>" not in text and "&lt;script&gt;" in text
    assert "<i>甲</i>" not in text


def test_the_merge_page_costs_the_same_whatever_the_records_hold(users, client):
    a = make_customer(users["rep1"], name="丙", contacts=[contact()])
    b = make_customer(users["rep1"], name="丙")
    client.force_login(users["admin"])
    few = querycount.count(client, merge_url(a, b))
    for _ in range(5):
        make_followup(users["rep1"], b)
        make_opportunity(users["rep1"], b)
    assert querycount.count(client, merge_url(a, b)) == few
