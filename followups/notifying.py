"""Notifications that come from time passing: a plan became overdue.

`overdue_plans(now)` is a notification sweep (`registry.add_notification_sweep`),
run every few minutes by the notifications worker. It is idempotent: each
plan's notification has the key `followup-overdue:<pk>`, so a plan is
announced once however often the sweep runs. Only plans that fell due within
LOOKBACK are looked at, so the sweep stays small; a worker stopped for longer
skips older plans rather than flooding users with stale news.
"""

import datetime

from notifications.services import notify

from .models import FollowUp
from .services import may_view_customer

LOOKBACK = datetime.timedelta(days=2)
BATCH = 1000


def overdue_plans(now: datetime.datetime) -> int:
    """Notify each open plan's owner once when the plan is overdue; returns how
    many notifications were created."""
    plans = (
        FollowUp.objects.alive()
        .open_plans()
        .filter(next_at__lt=now, next_at__gte=now - LOOKBACK)
        .select_related("customer", "next_owner")
        .order_by("next_at", "id")[:BATCH]
    )
    created = 0
    for plan in plans:
        # A customer reassigned since: its name is no longer theirs to read.
        if not may_view_customer(plan.next_owner, plan.customer_id):
            continue
        created += notify(
            recipients=[plan.next_owner_id],
            kind="followup_overdue",
            target=plan,
            params={
                "customer": plan.customer.name,
                "goal": plan.next_goal or plan.record_no,
            },
            key=f"followup-overdue:{plan.pk}",
        )
    return created
