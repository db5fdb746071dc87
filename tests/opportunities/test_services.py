"""The opportunity services: stages, winning and reverting, losing, payments."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone

from crm import history, permissions
from crm.features import StaleEdit
from crm.roles import sync_registered_roles
from customers import services as customer_services
from customers.models import Customer
from opportunities import services
from opportunities.models import Opportunity, Payment, Stage, StageChange
from tests import factories


def move(actor, opportunity, stage, **kwargs):
    return services.opportunity_move(
        actor=actor,
        opportunity=opportunity,
        stage=stage,
        expected_version=Opportunity.objects.get(pk=opportunity.pk).version,
        **kwargs,
    )


def pay(actor, opportunity, amount, **data):
    data.setdefault("received_on", timezone.localdate())
    return services.payment_add(
        actor=actor,
        opportunity=opportunity,
        data={"amount": Decimal(amount), **data},
    )


def customer_state(customer):
    customer.refresh_from_db()
    return (
        customer.historical_amount,
        customer.first_cooperation_date,
        customer.status,
    )


# Creating


def test_a_new_deal_starts_with_its_stages_probability_and_history(
    users, rep1_customer
):
    deal = factories.make_opportunity(
        users["rep1"], rep1_customer, stage=Stage.PROPOSAL
    )
    assert deal.opp_no.startswith("O") and len(deal.opp_no) == 12
    assert deal.owner == users["rep1"] and deal.probability == 40
    [change] = StageChange.objects.filter(opportunity=deal)
    assert (change.from_stage, change.to_stage) == ("", Stage.PROPOSAL)
    assert change.changed_by == users["rep1"]
    assert history.entries_for(deal).get().action == "create"


def test_an_explicit_probability_is_kept(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, probability=35)
    assert deal.probability == 35


def test_a_deal_cannot_start_won_or_lost(users, rep1_customer):
    for stage in (Stage.WON, Stage.LOST, "nonsense"):
        with pytest.raises(ValidationError):
            services.opportunity_create(
                actor=users["rep1"],
                customer=rep1_customer,
                data={"name": "x", "amount": Decimal("1")},
                stage=stage,
            )
    assert not Opportunity.objects.exists()


def test_a_deal_needs_a_customer_the_actor_sees_and_a_sales_role(users, rep1_customer):
    for actor in (users["rep2"], users["service"], users["success"]):
        with pytest.raises(PermissionDenied):
            factories.make_opportunity(actor, rep1_customer)
    assert not Opportunity.objects.exists()


def test_a_rep_cannot_give_a_new_deal_to_someone_else(users, rep1_customer):
    with pytest.raises(ValidationError) as caught:
        factories.make_opportunity(users["rep1"], rep1_customer, owner=users["rep2"])
    assert "owner" in caught.value.message_dict


def test_a_manager_gives_a_deal_only_to_a_sales_user_who_sees_the_customer(
    users, rep1_customer
):
    for owner in (users["rep2"], users["service"]):
        with pytest.raises(ValidationError):
            factories.make_opportunity(users["manager"], rep1_customer, owner=owner)
    deal = factories.make_opportunity(
        users["manager"], rep1_customer, owner=users["rep1"]
    )
    assert deal.owner == users["rep1"]
    assert users["rep2"] not in services.possible_owners(rep1_customer)
    assert users["service"] not in services.possible_owners(rep1_customer)


# Who sees and works a deal


def test_visibility_follows_the_role_columns(users, rep1_customer, rep2_customer):
    own = factories.make_opportunity(users["rep1"], rep1_customer)
    # The manager's deal on rep1's customer: rep1 sees and works it through
    # the customer; rep2 does not see it at all.
    managers = factories.make_opportunity(users["manager"], rep1_customer)
    other = factories.make_opportunity(users["rep2"], rep2_customer)

    def seen(user, action="view"):
        return set(Opportunity.objects.for_user(user, action))

    assert seen(users["rep1"]) == {own, managers}
    assert seen(users["rep1"], "change") == {own, managers}
    assert seen(users["rep1"], "delete") == {own}
    assert seen(users["rep2"]) == {other}
    assert seen(users["service"]) == set()
    assert seen(users["manager"]) == seen(users["admin"]) == {own, managers, other}
    assert seen(users["success"]) == set()
    customer_services.customer_update(
        actor=users["admin"],
        customer=rep1_customer,
        data={"success_manager": users["success"]},
        expected_version=rep1_customer.version,
    )
    assert seen(users["success"]) == {own, managers}
    assert seen(users["success"], "change") == set()


def test_a_view_share_shows_the_customers_deals_without_working_them(
    users, rep1_customer
):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    customer_services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="view"
    )
    assert list(Opportunity.objects.for_user(users["rep2"])) == [deal]
    assert not Opportunity.objects.for_user(users["rep2"], "change").exists()
    with pytest.raises(PermissionDenied):
        move(users["rep2"], deal, Stage.ANALYSIS)


def test_the_owner_keeps_their_deal_after_the_customer_moves_on(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    customer_services.customers_reassign(
        actor=users["manager"],
        customers=Customer.objects.filter(pk=rep1_customer.pk),
        owner=users["rep2"],
    )
    assert list(Opportunity.objects.for_user(users["rep1"], "change")) == [deal]


# Moving, winning and reverting


def test_a_move_records_the_stage_change_and_resets_the_probability(
    users, rep1_customer
):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, probability=33)
    moved = move(users["rep1"], deal, Stage.NEGOTIATION)
    assert moved.stage == Stage.NEGOTIATION and moved.probability == 60
    assert moved.version == deal.version + 1
    last = StageChange.objects.filter(opportunity=deal).last()
    assert (last.from_stage, last.to_stage) == (Stage.LEAD, Stage.NEGOTIATION)
    [entry] = history.entries_for(deal).filter(action="update")
    assert {"field": "stage", "old": "lead", "new": "negotiation"} in entry.changes


def test_moving_to_the_stage_it_is_in_changes_nothing(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    same = move(users["rep1"], deal, Stage.LEAD)
    assert same.version == deal.version
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_a_stale_move_is_refused(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    move(users["manager"], deal, Stage.ANALYSIS)
    with pytest.raises(StaleEdit):
        services.opportunity_move(
            actor=users["rep1"],
            opportunity=deal,
            stage=Stage.PROPOSAL,
            expected_version=deal.version,
        )
    assert Opportunity.objects.get(pk=deal.pk).stage == Stage.ANALYSIS


@pytest.mark.parametrize("stage", [Stage.LOST, "won ", "", "<b>"])
def test_lost_and_unknown_stages_are_not_move_targets(users, rep1_customer, stage):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    with pytest.raises(ValidationError):
        move(users["rep1"], deal, stage)
    assert Opportunity.objects.get(pk=deal.pk).stage == Stage.LEAD


def test_winning_adds_the_amount_and_sets_first_cooperation_and_status(
    users, rep1_customer
):
    customer_services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={"historical_amount": Decimal("1000.50")},
        expected_version=rep1_customer.version,
    )
    before = customer_state(rep1_customer)
    assert before[1:] == (None, Customer.Status.POTENTIAL)
    deal = factories.make_opportunity(
        users["rep1"], rep1_customer, amount=Decimal("88000.25")
    )
    won = move(users["rep1"], deal, Stage.WON)
    assert won.won_at is not None and won.probability == 100
    assert customer_state(rep1_customer) == (
        Decimal("89000.75"),
        timezone.localdate(won.won_at),
        Customer.Status.ACTIVE,
    )
    # The customer's own history says what the win changed.
    fields = {
        c["field"]
        for e in history.entries_for(rep1_customer).filter(action="update")
        for c in e.changes
    }
    assert {"historical_amount", "first_cooperation_date", "status"} <= fields
    reverted = move(users["rep1"], won, Stage.NEGOTIATION)
    assert reverted.won_at is None and not reverted.win_set_first_cooperation
    assert customer_state(rep1_customer) == before


def test_a_win_leaves_a_date_and_status_the_customer_already_had(users, rep1_customer):
    first = datetime.date(2020, 5, 1)
    customer_services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={"first_cooperation_date": first, "status": Customer.Status.ACTIVE},
        expected_version=rep1_customer.version,
    )
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    assert customer_state(rep1_customer)[1:] == (first, Customer.Status.ACTIVE)
    move(users["rep1"], deal, Stage.LEAD)
    assert customer_state(rep1_customer) == (
        Decimal("0.00"),
        first,
        Customer.Status.ACTIVE,
    )


def test_a_lost_customer_won_back_is_lost_again_when_the_win_is_reverted(
    users, rep1_customer
):
    customer_services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={"status": Customer.Status.LOST},
        expected_version=rep1_customer.version,
    )
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    assert customer_state(rep1_customer)[2] == Customer.Status.ACTIVE
    move(users["rep1"], deal, Stage.PROPOSAL)
    assert customer_state(rep1_customer)[2] == Customer.Status.LOST


def test_reverting_one_of_two_wins_hands_its_effects_to_the_other(users, rep1_customer):
    before = customer_state(rep1_customer)
    first = factories.make_opportunity(
        users["rep1"], rep1_customer, amount=Decimal("100")
    )
    second = factories.make_opportunity(
        users["rep1"], rep1_customer, amount=Decimal("250")
    )
    earlier = timezone.now() - datetime.timedelta(days=40)
    move(users["rep1"], first, Stage.WON, at=earlier)
    move(users["rep1"], second, Stage.WON)
    assert customer_state(rep1_customer) == (
        Decimal("350.00"),
        timezone.localdate(earlier),
        Customer.Status.ACTIVE,
    )
    move(users["rep1"], first, Stage.NEGOTIATION)
    second.refresh_from_db()
    # The customer still has a win: it keeps the status, and its first
    # cooperation is now the remaining win's day.
    assert customer_state(rep1_customer) == (
        Decimal("250.00"),
        timezone.localdate(second.won_at),
        Customer.Status.ACTIVE,
    )
    assert second.win_set_first_cooperation
    assert second.win_previous_status == Customer.Status.POTENTIAL
    move(users["rep1"], second, Stage.NEGOTIATION)
    assert customer_state(rep1_customer) == before


def test_won_and_after_sales_move_between_them_without_touching_the_customer(
    users, rep1_customer
):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    state = customer_state(rep1_customer)
    after = move(users["rep1"], deal, Stage.AFTER_SALES)
    assert after.won_at == deal.won_at
    assert customer_state(rep1_customer) == state
    move(users["rep1"], after, Stage.WON)
    assert customer_state(rep1_customer) == state


def test_a_won_amount_edit_moves_the_customers_amount_by_the_difference(
    users, rep1_customer
):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    assert customer_state(rep1_customer)[0] == Decimal("100000.00")
    deal.refresh_from_db()
    services.opportunity_update(
        actor=users["rep1"],
        opportunity=deal,
        data={"amount": Decimal("120000.10")},
        expected_version=deal.version,
    )
    assert customer_state(rep1_customer)[0] == Decimal("120000.10")
    deal.refresh_from_db()
    services.opportunity_update(
        actor=users["rep1"],
        opportunity=deal,
        data={"amount": Decimal("99999.99")},
        expected_version=deal.version,
    )
    assert customer_state(rep1_customer)[0] == Decimal("99999.99")


def test_an_open_amount_edit_leaves_the_customer_alone(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    services.opportunity_update(
        actor=users["rep1"],
        opportunity=deal,
        data={"amount": Decimal("5")},
        expected_version=deal.version,
    )
    assert customer_state(rep1_customer)[0] == Decimal("0.00")


def test_a_stale_edit_is_refused(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    move(users["rep1"], deal, Stage.ANALYSIS)
    with pytest.raises(StaleEdit):
        services.opportunity_update(
            actor=users["rep1"],
            opportunity=deal,
            data={"name": "改名"},
            expected_version=deal.version,
        )


def test_only_a_reassigning_role_changes_the_owner(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    with pytest.raises(ValidationError):
        services.opportunity_update(
            actor=users["rep1"],
            opportunity=deal,
            data={"owner": users["manager"]},
            expected_version=deal.version,
        )
    assert permissions.has_model_perm(users["manager"], Opportunity, "reassign")
    updated = services.opportunity_update(
        actor=users["manager"],
        opportunity=deal,
        data={"owner": users["manager"]},
        expected_version=deal.version,
    )
    assert updated.owner == users["manager"]


# Losing and reopening


def test_losing_records_the_stage_and_reason(users, rep1_customer):
    deal = factories.make_opportunity(
        users["rep1"], rep1_customer, stage=Stage.PROPOSAL
    )
    with pytest.raises(ValidationError) as caught:
        services.opportunity_lose(
            actor=users["rep1"],
            opportunity=deal,
            reason="   ",
            expected_version=deal.version,
        )
    assert "lost_reason" in caught.value.message_dict
    lost = services.opportunity_lose(
        actor=users["rep1"],
        opportunity=deal,
        reason="选择了竞争对手",
        expected_version=deal.version,
    )
    assert (lost.stage, lost.lost_stage, lost.lost_reason, lost.probability) == (
        Stage.LOST,
        Stage.PROPOSAL,
        "选择了竞争对手",
        0,
    )
    assert lost.lost_at is not None
    with pytest.raises(ValidationError):
        services.opportunity_lose(
            actor=users["rep1"],
            opportunity=lost,
            reason="again",
            expected_version=lost.version,
        )
    # A lost deal reopens in an open stage only, and forgets the loss.
    with pytest.raises(ValidationError):
        move(users["rep1"], lost, Stage.WON)
    reopened = move(users["rep1"], lost, Stage.PROPOSAL)
    assert (reopened.lost_stage, reopened.lost_reason, reopened.lost_at) == (
        "",
        "",
        None,
    )


def test_a_won_deal_cannot_be_lost(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    with pytest.raises(ValidationError):
        services.opportunity_lose(
            actor=users["rep1"],
            opportunity=deal,
            reason="x",
            expected_version=deal.version,
        )


# Payments


def test_payments_go_on_won_deals_and_never_over_the_amount(users, rep1_customer):
    deal = factories.make_opportunity(
        users["rep1"], rep1_customer, amount=Decimal("100000.00")
    )
    with pytest.raises(ValidationError):
        pay(users["rep1"], deal, "1")
    deal = move(users["rep1"], deal, Stage.WON)
    pay(users["rep1"], deal, "30000.00", method=Payment.Method.WECHAT)
    pay(users["rep1"], deal, "69999.99")
    with pytest.raises(ValidationError) as caught:
        pay(users["rep1"], deal, "0.02")
    [message] = caught.value.message_dict["amount"]
    assert "¥0.01" in message and "¥99,999.99" in message
    pay(users["rep1"], deal, "0.01")
    assert services.received_total(deal) == Decimal("100000.00")
    assert Payment.objects.filter(opportunity=deal).count() == 3


@pytest.mark.parametrize("amount", ["0", "-5", "0.001"])
def test_a_payment_amount_must_be_a_positive_sum_of_cents(users, rep1_customer, amount):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    with pytest.raises(ValidationError) as caught:
        pay(users["rep1"], deal, amount)
    assert "amount" in caught.value.message_dict
    assert not Payment.objects.exists()


def test_a_payment_cannot_be_received_in_the_future(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        pay(users["rep1"], deal, "10", received_on=tomorrow)
    assert "received_on" in caught.value.message_dict


def test_payments_need_change_access_to_the_deal(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    for actor in (users["rep2"], users["service"], users["success"]):
        with pytest.raises(PermissionDenied):
            pay(actor, deal, "10")
    payment = pay(users["rep1"], deal, "10")
    with pytest.raises(PermissionDenied):
        services.payment_delete(actor=users["rep2"], payment=payment)
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_payments_are_kept_in_the_deals_history(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    payment = pay(users["rep1"], deal, "1234.50", note="首付款")
    services.payment_delete(actor=users["rep1"], payment=payment)
    added, removed = [
        e
        for e in history.entries_for(deal).order_by("at", "pk")
        if any(c["field"] == "payments" for c in e.changes)
    ]
    assert added.changes[0]["new"][0]["amount"] == "1234.50"
    assert removed.changes[0]["old"][0]["note"] == "首付款"
    assert not Payment.objects.exists()


def test_a_win_with_payments_cannot_be_reverted(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    pay(users["rep1"], deal, "10")
    with pytest.raises(ValidationError):
        move(users["rep1"], deal, Stage.NEGOTIATION)
    assert Opportunity.objects.get(pk=deal.pk).stage == Stage.WON
    assert customer_state(rep1_customer)[0] == Decimal("100000.00")


def test_a_won_amount_cannot_fall_below_what_was_received(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    pay(users["rep1"], deal, "60000")
    deal.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.opportunity_update(
            actor=users["rep1"],
            opportunity=deal,
            data={"amount": Decimal("59999.99")},
            expected_version=deal.version,
        )
    assert "amount" in caught.value.message_dict
    assert customer_state(rep1_customer)[0] == Decimal("100000.00")


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_the_same_moment_never_pass_the_amount(request):
    if connection.vendor != "postgresql":
        pytest.skip(
            "NEEDS POSTGRESQL: row locks between concurrent transactions are only "
            "meaningful there; run with DATABASE_URL=postgres://... to cover this"
        )
    sync_registered_roles()
    call_command("load_reference", verbosity=0)
    users = request.getfixturevalue("users")
    customer = factories.make_customer(users["rep1"], name="并发回款有限公司")
    deal = factories.make_opportunity(users["rep1"], customer, stage=Stage.WON)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record(actor):
        try:
            barrier.wait()
            pay(actor, deal, "60000.00")
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # pragma: no cover - reported below
            outcomes.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=record, args=(users["rep1"],)),
        threading.Thread(target=record, args=(users["manager"],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"], outcomes
    assert services.received_total(deal) == Decimal("60000.00")


# The trash


def test_a_won_deal_is_not_trashed(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    with pytest.raises(ValidationError):
        services.opportunity_delete(actor=users["rep1"], opportunity=deal)
    open_deal = factories.make_opportunity(users["rep1"], rep1_customer)
    services.opportunity_delete(actor=users["rep1"], opportunity=open_deal)
    assert list(Opportunity.objects.for_user(users["rep1"])) == [deal]
    assert list(Opportunity.objects.trash_for_user(users["admin"])) == [open_deal]
    assert not Opportunity.objects.trash_for_user(users["rep1"]).exists()


# Stalled


def test_a_followup_on_the_deal_keeps_it_from_stalling(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    long_ago = timezone.now() - datetime.timedelta(days=31)
    Opportunity.objects.filter(pk=deal.pk).update(
        last_activity_at=long_ago, stage_changed_at=long_ago
    )
    since = timezone.now() - datetime.timedelta(days=30)
    assert list(Opportunity.objects.stalled(since)) == [deal]
    # A follow-up on the customer without the deal does not count.
    factories.make_followup(users["rep1"], rep1_customer)
    assert list(Opportunity.objects.stalled(since)) == [deal]
    factories.make_followup(users["rep1"], rep1_customer, opportunity=deal)
    assert not Opportunity.objects.stalled(since).exists()
    # Logging a follow-up is not an edit of the deal: no one's form goes stale.
    assert Opportunity.objects.get(pk=deal.pk).version == deal.version


def test_a_stage_change_keeps_it_from_stalling(users, rep1_customer):
    deal = factories.make_opportunity(users["rep1"], rep1_customer)
    long_ago = timezone.now() - datetime.timedelta(days=45)
    Opportunity.objects.filter(pk=deal.pk).update(last_activity_at=long_ago)
    since = timezone.now() - datetime.timedelta(days=30)
    assert Opportunity.objects.stalled(since).exists()
    move(users["rep1"], deal, Stage.ANALYSIS)
    assert not Opportunity.objects.stalled(since).exists()


def test_won_and_lost_deals_never_stall(users, rep1_customer):
    factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    factories.make_opportunity(users["rep1"], rep1_customer, stage=Stage.LOST)
    Opportunity.objects.update(
        last_activity_at=timezone.now() - datetime.timedelta(days=90)
    )
    assert not Opportunity.objects.stalled(timezone.now()).exists()
