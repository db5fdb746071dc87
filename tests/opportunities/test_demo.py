"""seed_demo's opportunities: every stage for every seller, a funnel over
time, payments within the amounts, wins that add up on the customer, some
stalled deals, follow-ups on deals; and a second run adds nothing."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from crm import history
from customers.models import Customer
from followups.models import FollowUp
from opportunities.models import Opportunity, Payment, Stage, StageChange


def seed():
    call_command("seed_demo", customers=30, password="demo-pass-1", stdout=StringIO())


def counts() -> dict:
    return {
        "opportunities": Opportunity.objects.count(),
        "stage_changes": StageChange.objects.count(),
        "payments": Payment.objects.count(),
        "linked_followups": FollowUp.objects.filter(opportunity__isnull=False).count(),
    }


@pytest.fixture
def seeded(db):
    seed()
    return counts()


def test_seeding_twice_adds_nothing(seeded):
    assert seeded["opportunities"] > 0
    seed()
    assert counts() == seeded


def test_every_stage_for_every_seller(seeded):
    per_owner = {}
    for owner, stage in Opportunity.objects.values_list("owner__username", "stage"):
        per_owner.setdefault(owner, set()).add(stage)
    assert set(per_owner) == {"rep1", "rep2", "manager"}
    for owner, stages in per_owner.items():
        assert stages == set(Stage.values), owner


def test_deals_follow_the_stage_rules_and_their_history(seeded):
    deals = Opportunity.objects.all()
    for deal in deals.filter(stage="lost"):
        assert deal.lost_reason and deal.lost_stage and deal.lost_at
    for deal in deals.filter(stage__in=["won", "after_sales"]):
        assert deal.won_at and deal.probability == 100
    for deal in deals.prefetch_related("stage_changes"):
        changes = list(deal.stage_changes.all())
        assert changes[0].from_stage == "" and changes[0].changed_at == deal.created_at
        assert changes[-1].to_stage == deal.stage
        times = [c.changed_at for c in changes]
        assert times == sorted(times)
        assert deal.stage_changed_at == times[-1]
        assert deal.last_activity_at >= deal.stage_changed_at
        entries = [e.at for e in history.entries_for(deal).order_by("id")]
        assert entries[0] == deal.created_at


def test_deals_spread_over_time_for_the_forecast_and_the_stalled_list(seeded):
    today = timezone.localdate()
    now = timezone.now()
    open_deals = Opportunity.objects.open()
    closes = [d for d in open_deals.values_list("expected_close_date", flat=True)]
    assert all(closes)
    months = {(d.year, d.month) for d in closes if d >= today}
    assert len(months) >= 3
    assert any(d < today for d in closes), "some open deals are overdue"
    assert (now - Opportunity.objects.earliest("created_at").created_at).days > 60
    stalled = open_deals.stalled(now - datetime.timedelta(days=30)).count()
    # Two of each seller's open deals (see opportunities/demo.py)
    assert stalled == 6


def test_payments_never_exceed_the_amount(seeded):
    won = Opportunity.objects.won().annotate(
        received=Sum("payments__amount"), n=Count("payments")
    )
    assert all(d.received is None or d.received <= d.amount for d in won)
    # Some partly paid, some in full, some not yet
    assert any(d.received == d.amount for d in won)
    assert any(d.received and d.received < d.amount for d in won)
    assert any(d.n == 0 for d in won)
    assert not Payment.objects.exclude(opportunity__stage__in=["won", "after_sales"])
    today = timezone.localdate()
    for payment in Payment.objects.select_related("opportunity"):
        assert payment.received_on <= today
        assert payment.received_on >= timezone.localdate(payment.opportunity.won_at)


def test_wins_add_up_on_the_customers_they_made_customers(seeded):
    # Where a win made the customer (it set the first cooperation date: the
    # customer had no amount before), the historical amount is the sum of
    # the customer's won deals.
    made = Customer.objects.filter(
        opportunities__win_set_first_cooperation=True
    ).distinct()
    assert made.exists()
    for customer in made:
        won = Opportunity.objects.alive().won().filter(customer=customer)
        total = won.aggregate(total=Sum("amount"))["total"]
        assert customer.historical_amount == total, customer
        assert customer.status == Customer.Status.ACTIVE
        assert customer.first_cooperation_date == min(
            timezone.localdate(d.won_at) for d in won
        )


def test_follow_ups_are_logged_on_deals(seeded):
    linked = FollowUp.objects.filter(opportunity__isnull=False).select_related(
        "opportunity"
    )
    assert linked.exists()
    for followup in linked:
        deal = followup.opportunity
        assert followup.customer_id == deal.customer_id
        assert deal.last_activity_at >= followup.occurred_at
        assert followup.occurred_at <= timezone.now()


def test_deal_numbers_carry_their_creation_day(seeded):
    for deal in Opportunity.objects.all():
        day = timezone.localtime(deal.created_at).strftime("%Y%m%d")
        assert deal.opp_no[1:9] == day, deal.opp_no
