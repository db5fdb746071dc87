"""The benchmark's generated rows agree with what the services would have
written, so the pages and reports it times read realistic, valid data."""

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from customers.management.commands.bench import Command
from customers.models import Customer, Industry, Region, Tag
from followups.models import FollowUp, Ticket
from opportunities.models import (
    OPEN_STAGES,
    WON_STAGES,
    Opportunity,
    Payment,
    Stage,
    StageChange,
)


@pytest.fixture
def grown(users):
    """Given the bench grown to 400 customers in two steps (as two scales do)."""
    command = Command()
    command.users = users
    command.rng = random.Random(7)
    command.industries = list(Industry.objects.all())
    command.regions = list(Region.objects.all())
    command.tags = list(Tag.objects.all())
    command.grow(0, 200)
    command.grow(200, 400)
    return command


def test_volumes_follow_design_ratios(grown):
    assert Customer.objects.count() == 400
    assert Opportunity.objects.count() == 200
    assert Ticket.objects.count() == 40
    # Three follow-ups per customer on average (DESIGN §8: 1M / 3M).
    assert 2.6 <= FollowUp.objects.count() / 400 <= 3.4
    assert StageChange.objects.count() >= Opportunity.objects.count()
    assert Payment.objects.exists()
    assert FollowUp.objects.filter(opportunity__isnull=False).exists()


def test_rows_pass_model_validation(grown):
    for model in (FollowUp, Ticket, Opportunity):
        for row in model.objects.all()[:50]:
            row.full_clean()
    for payment in Payment.objects.all():
        payment.full_clean()


def test_last_followup_is_the_latest_live_followup(grown):
    latest = defaultdict(lambda: None)
    for customer_id, at in FollowUp.objects.alive().values_list(
        "customer_id", "occurred_at"
    ):
        latest[customer_id] = max(at, latest[customer_id] or at)
    for customer in Customer.objects.all():
        assert customer.last_followup_at == latest[customer.pk], customer.pk


def test_followups_lie_in_the_customer_life_and_plans_are_whole(grown):
    now = timezone.now()
    rows = FollowUp.objects.select_related("customer", "opportunity")
    for row in rows:
        assert row.customer.created_at <= row.occurred_at <= now
        assert (row.next_at is None) == (row.next_owner_id is None)
        if row.next_done:
            assert row.next_at < now
        if row.opportunity is not None:
            assert row.opportunity.customer_id == row.customer_id
            assert row.occurred_at >= row.opportunity.created_at
    plans = FollowUp.objects.open_plans()
    assert plans.filter(next_at__lt=now).exists()  # some overdue
    assert plans.filter(next_at__gt=now).exists()  # some to come
    assert FollowUp.objects.filter(next_done=True).exists()


def test_stage_history_leads_to_the_current_stage(grown):
    history = defaultdict(list)
    for change in StageChange.objects.order_by("changed_at", "id"):
        history[change.opportunity_id].append(change)
    order = list(OPEN_STAGES)
    for deal in Opportunity.objects.all():
        changes = history[deal.pk]
        assert changes[0].from_stage == ""
        assert changes[0].to_stage in OPEN_STAGES
        assert changes[0].changed_at == deal.created_at
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage == before.to_stage
        assert changes[-1].to_stage == deal.stage
        assert changes[-1].changed_at == deal.stage_changed_at
        assert all(
            deal.created_at <= c.changed_at <= deal.stage_changed_at for c in changes
        )
        opens = [c.to_stage for c in changes if c.to_stage in OPEN_STAGES]
        assert opens == sorted(opens, key=order.index)  # moves go forward
        if deal.stage == Stage.LOST:
            assert changes[-1].from_stage == deal.lost_stage
            assert changes[-1].changed_at == deal.lost_at
        if deal.stage in WON_STAGES:
            (win,) = [c for c in changes if c.to_stage == Stage.WON]
            assert win.changed_at == deal.won_at


def test_last_activity_is_the_latest_stage_change_or_linked_followup(grown):
    linked = defaultdict(list)
    for deal_id, at in FollowUp.objects.alive().values_list(
        "opportunity_id", "occurred_at"
    ):
        linked[deal_id].append(at)
    for deal in Opportunity.objects.all():
        expected = max([deal.stage_changed_at, *linked[deal.pk]])
        assert deal.last_activity_at == expected, deal.opp_no
    # Open deals untouched since their last stage change (the stalled kind,
    # once old enough) remain beside ones a follow-up keeps active.
    open_deals = Opportunity.objects.open()
    assert open_deals.filter(last_activity_at=F("stage_changed_at")).exists()
    assert open_deals.filter(last_activity_at__gt=F("stage_changed_at")).exists()


def test_payments_are_on_won_deals_after_the_win_within_the_amount(grown):
    today = timezone.localdate()
    totals = defaultdict(Decimal)
    for payment in Payment.objects.select_related("opportunity"):
        deal = payment.opportunity
        assert deal.stage in WON_STAGES
        assert timezone.localdate(deal.won_at) <= payment.received_on <= today
        totals[deal.pk] += payment.amount
    for deal in Opportunity.objects.filter(pk__in=totals):
        assert totals[deal.pk] <= deal.amount


def test_tickets_follow_the_status_rules(grown):
    now = timezone.now()
    statuses = set()
    for ticket in Ticket.objects.select_related("customer", "contact"):
        statuses.add(ticket.status)
        assert ticket.due_at == ticket.created_at + Ticket.SLA[ticket.priority]
        assert ticket.customer.created_at <= ticket.created_at <= now
        assert ticket.contact.customer_id == ticket.customer_id
        done = ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        assert (ticket.resolved_at is not None) == done
        assert (ticket.closed_at is not None) == (ticket.status == "closed")
        if ticket.satisfaction is not None:
            assert ticket.status == Ticket.Status.CLOSED
        if ticket.status != Ticket.Status.NEW:
            assert ticket.assignee_id is not None
        if done:
            assert ticket.created_at <= ticket.resolved_at <= now
        if ticket.closed_at:
            assert ticket.resolved_at <= ticket.closed_at <= now
    assert statuses == set(Ticket.Status.values)
