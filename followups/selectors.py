"""Reads about follow-ups that several pages share: the agenda and the timeline.

"Today" is the local date in `settings.TIME_ZONE` (Asia/Shanghai by default),
whatever the server's own time zone: a rep's 00:30 call belongs to the day it
happens for them, not to the UTC day it falls in.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from customers.models import Customer
from opportunities.models import Opportunity

from .models import FollowUp

AGENDA_DAYS = 7
AGENDA_LIMIT = 200


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """(start of today, start of tomorrow) in the site's time zone, as aware times."""
    zone = site_zone()
    today = now.astimezone(zone).date()
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=zone)
    tomorrow = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
    )
    return start, tomorrow


def my_open_plans(user):
    """The open plans the user owns, on customers the user may still see (the
    writer of a follow-up keeps seeing it after the customer moved on, but a
    plan there is no longer theirs to carry out)."""
    customers = Customer.objects.for_user(user, "view")
    # A correlated EXISTS, checked for the user's few open plans: with
    # `customer__in=(subquery)` SQLite read every live customer first and
    # their follow-ups by customer (0.45 s for an admin without a single
    # plan at 100,000 customers), instead of the `followup_open_plan` index.
    return (
        FollowUp.objects.for_user(user, "view")
        .open_plans()
        .filter(Exists(customers.filter(pk=OuterRef("customer"))), next_owner=user)
        .order_by("next_at", "id")
    )


@dataclass
class Agenda:
    now: datetime.datetime
    today: datetime.date
    overdue: list = field(default_factory=list)
    due_today: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    # More plans fell in the window than were read (AGENDA_LIMIT).
    truncated: bool = False

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_today) + len(self.upcoming)

    @property
    def sections(self) -> list[tuple[str, list]]:
        return [
            ("overdue", self.overdue),
            ("today", self.due_today),
            ("upcoming", self.upcoming),
        ]


def agenda(user, now: datetime.datetime | None = None, limit: int = AGENDA_LIMIT):
    """The user's open plans that are overdue (before now), due later today, or
    due in the next AGENDA_DAYS days, each in time order; one query."""
    now = now or timezone.now()
    _start, tomorrow = day_bounds(now)
    end = tomorrow + datetime.timedelta(days=AGENDA_DAYS)
    rows = list(
        my_open_plans(user)
        .filter(next_at__lt=end)
        .select_related("customer", "user")[: limit + 1]
    )
    result = Agenda(
        now=now, today=now.astimezone(site_zone()).date(), truncated=len(rows) > limit
    )
    for plan in rows[:limit]:
        if plan.next_at < now:
            plan.overdue_days = (
                result.today - plan.next_at.astimezone(site_zone()).date()
            ).days
            result.overdue.append(plan)
        elif plan.next_at < tomorrow:
            result.due_today.append(plan)
        else:
            result.upcoming.append(plan)
    return result


def due_count(user, now: datetime.datetime | None = None) -> int:
    """How many of the user's plans are overdue or due today (the nav badge)."""
    now = now or timezone.now()
    _start, tomorrow = day_bounds(now)
    return my_open_plans(user).filter(next_at__lt=tomorrow).count()


def with_opportunity(rows, user):
    """Follow-ups with their deal and `opportunity_visible`: may the reader
    view that deal? A follow-up is seen by more people than its deal
    (customer service sees every follow-up, no deal), so pages name the deal
    only where this is true. In the same query: a subquery, not one per row."""
    deals = Opportunity.objects.for_user(user, "view").filter(
        pk=OuterRef("opportunity_id")
    )
    return rows.select_related("opportunity").annotate(
        opportunity_visible=Exists(deals)
    )


def timeline(user, customer, limit: int = 10) -> tuple[list, bool]:
    """The customer's latest follow-ups the user may see, newest first, each
    flagged `can_change`; and whether there are more. One query."""
    rows = list(
        with_opportunity(
            FollowUp.objects.for_user(user, "view").filter(customer=customer), user
        )
        .select_related("user", "next_owner")
        .annotate_allowed(user, "change", "can_change")
        .order_by("-occurred_at", "-id")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit
