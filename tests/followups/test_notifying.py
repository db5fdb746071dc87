"""Overdue plans notify their owner once, whenever and however often the sweep runs."""

import datetime

from django.utils import timezone

from crm.registry import registry
from customers.models import Customer
from followups import notifying
from notifications.models import Notification
from tests.factories import make_followup


def test_an_overdue_plan_notifies_its_owner_once(users, rep1_customer):
    rep1 = users["rep1"]
    now = timezone.now()
    due = make_followup(
        rep1,
        rep1_customer,
        next_at=now - datetime.timedelta(minutes=5),
        next_owner=rep1,
        next_goal="回访",
    )
    make_followup(
        rep1, rep1_customer, next_at=now + datetime.timedelta(hours=1), next_owner=rep1
    )
    # Runs the sweep the notifications worker runs
    sweep = registry.notification_sweeps["followups.overdue"]
    assert sweep(now) == 1
    assert sweep(now) == 0
    assert notifying.overdue_plans(now + datetime.timedelta(minutes=5)) == 0
    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (rep1, "followup_overdue")
    assert note.key == f"followup-overdue:{due.pk}"
    assert note.url == due.get_absolute_url()
    assert note.params["goal"] == "回访"


def test_done_old_or_unreachable_plans_notify_nobody(users, rep1_customer):
    rep1 = users["rep1"]
    now = timezone.now()
    done = make_followup(
        rep1, rep1_customer, next_at=now - datetime.timedelta(hours=1), next_owner=rep1
    )
    done.__class__.objects.filter(pk=done.pk).update(next_done=True)
    make_followup(
        rep1, rep1_customer, next_at=now - datetime.timedelta(days=5), next_owner=rep1
    )
    assert notifying.overdue_plans(now) == 0
    # A plan on a customer that moved to another rep meanwhile
    make_followup(
        rep1, rep1_customer, next_at=now - datetime.timedelta(hours=1), next_owner=rep1
    )
    Customer.objects.filter(pk=rep1_customer.pk).update(owner=users["rep2"])
    assert notifying.overdue_plans(now) == 0
    assert not Notification.objects.exists()
