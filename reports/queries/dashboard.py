"""The manager dashboard's key figures (the workbench panel): this month
against last month. A user's progress on a month's target is
`team.month_progress`.

Months are calendar months in the site's time zone, both ends whole (the
same `ReportFilters` periods the reports use, so a figure here equals the
one its report shows for "this month" / "last month"). Each source is read
in one query whose conditional aggregates give both months at once, so the
dashboard costs four queries whatever the data size.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from customers.models import Customer
from followups.models import FollowUp
from opportunities.models import WON_STAGES, Opportunity

from ..filters import ReportFilters, month_start, next_month
from ..models import SalesTarget
from ..tables import ratio
from .team import collected

ZERO = Decimal("0.00")


def month_filters(first: datetime.date) -> ReportFilters:
    """The calendar month starting on `first`, as a report period."""
    last = next_month(first) - datetime.timedelta(days=1)
    return ReportFilters(start=first, end=last, period="custom")


def previous_month(first: datetime.date) -> datetime.date:
    return month_start(first - datetime.timedelta(days=1))


def _amount(expression: str, condition: Q | None = None):
    return Coalesce(
        Sum(expression, filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


@dataclass(frozen=True)
class Pair:
    """A figure this month and last month."""

    this: Any
    last: Any


@dataclass(frozen=True)
class KeyFigures:
    this_month: datetime.date
    last_month: datetime.date
    new_customers: Pair  # int
    followups: Pair  # int
    pipeline: Pair  # Decimal: amount of the deals created in the month
    won: Pair  # Decimal: amount of the deals won in the month
    # Decimal fractions, None for a zero denominator ("—").
    collection: Pair
    target_completion: Pair
    targets: Pair  # Decimal sum of the month's targets, None when none is set


def key_figures(user, today: datetime.date) -> KeyFigures:
    """This month's and last month's key figures over what `user` may see."""
    this = month_filters(month_start(today))
    last = month_filters(previous_month(this.start))
    # Both months, so each query reads the index range it needs once.
    both = ReportFilters(start=last.start, end=this.end, period="custom")

    customers = (
        Customer.objects.for_user(user, "view")
        .filter(both.in_period("created_at"))
        .aggregate(
            this=Count("pk", filter=this.in_period("created_at")),
            last=Count("pk", filter=last.in_period("created_at")),
        )
    )
    followups = (
        FollowUp.objects.for_user(user, "view")
        .filter(both.in_period("occurred_at"))
        .aggregate(
            this=Count("pk", filter=this.in_period("occurred_at")),
            last=Count("pk", filter=last.in_period("occurred_at")),
        )
    )
    # As the team report counts wins: a won stage and won_at in the month;
    # collected as it counts collection: the payments on those deals
    # received by the end of the month they were won in, looked up for
    # the won deals only (the CASE), by the payments' (deal, day) index.
    won_this = Q(stage__in=WON_STAGES) & this.in_period("won_at")
    won_last = Q(stage__in=WON_STAGES) & last.in_period("won_at")
    deals = (
        Opportunity.objects.for_user(user, "view")
        .filter(both.in_period("created_at") | both.in_period("won_at"))
        .annotate(
            paid_this=Case(When(won_this, then=collected(this.end))),
            paid_last=Case(When(won_last, then=collected(last.end))),
        )
        .aggregate(
            pipeline_this=_amount("amount", this.in_period("created_at")),
            pipeline_last=_amount("amount", last.in_period("created_at")),
            won_this=_amount("amount", won_this),
            won_last=_amount("amount", won_last),
            collected_this=_amount("paid_this"),
            collected_last=_amount("paid_last"),
        )
    )
    # Targets are set per user by those who see every user's figures, the
    # only ones shown the dashboard; no row-level visibility applies.
    targets = SalesTarget.objects.filter(month__in=[this.start, last.start]).aggregate(
        this=Sum("won_amount", filter=Q(month=this.start)),
        last=Sum("won_amount", filter=Q(month=last.start)),
    )

    won_amount = Pair(deals["won_this"], deals["won_last"])
    return KeyFigures(
        this_month=this.start,
        last_month=last.start,
        new_customers=Pair(customers["this"], customers["last"]),
        followups=Pair(followups["this"], followups["last"]),
        pipeline=Pair(deals["pipeline_this"], deals["pipeline_last"]),
        won=won_amount,
        collection=Pair(
            ratio(deals["collected_this"], won_amount.this),
            ratio(deals["collected_last"], won_amount.last),
        ),
        target_completion=Pair(
            ratio(won_amount.this, targets["this"]),
            ratio(won_amount.last, targets["last"]),
        ),
        targets=Pair(targets["this"], targets["last"]),
    )
