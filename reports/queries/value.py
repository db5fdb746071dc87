"""Customer value (DESIGN §7): average order value (客单价) and repurchase rate
(复购率) over the deals won in the period, the wins by month, and the top 10
customers by historical amount.

A win is a visible opportunity in 成交/售后 whose `won_at` falls in the
period; its amount is the deal's 预计成交金额. One query for the figures, one
for the months and one for the top 10, whatever the data.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Length, Substr, TruncMonth
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from opportunities.models import Opportunity

from ..tables import Chart, Column, ReportResult, Table, ratio

CENTS = Decimal("0.01")
TOP = 10


def build(user, filters) -> ReportResult:
    wins = (
        Opportunity.objects.for_user(user, "view")
        .won()
        .filter(
            filters.in_period("won_at"),
            filters.customer_q("customer__"),
            filters.owner_q("owner"),
            filters.stage_q(),
        )
        .order_by()
    )
    # One row per customer first, so "2+ wins" is a count over those rows.
    per_customer = wins.values("customer_id").annotate(
        wins=Count("pk"), won=Sum("amount")
    )
    totals = per_customer.aggregate(
        amount=Sum("won"),
        customers=Count("customer_id"),
        repeat=Count("customer_id", filter=Q(wins__gte=2)),
    )
    amount = totals["amount"] or Decimal("0.00")
    customers = totals["customers"]
    average = (
        (amount / customers).quantize(CENTS, rounding=ROUND_HALF_UP)
        if customers
        else None
    )
    return ReportResult(
        tables=[_by_month(wins), _top(user, filters)],
        charts=[
            Chart("won_trend", "line", "by_month", "month", ("amount",)),
            Chart("top_bar", "hbar", "top", "name", ("historical_amount",)),
        ],
        figures=[
            (_("Won amount"), amount, "amount"),
            (_("Customers with a win"), customers, "count"),
            (_("Average order value"), average, "amount"),
            (_("Customers with 2+ wins"), totals["repeat"], "count"),
            (_("Repurchase rate"), ratio(totals["repeat"], customers), "rate"),
        ],
    )


def _by_month(wins) -> Table:
    # TruncMonth works in the current (site) time zone: a deal won at 00:10 on
    # the 1st in Shanghai belongs to that month, not the one before in UTC.
    months = (
        wins.annotate(month=TruncMonth("won_at"))
        .values("month")
        .annotate(
            amount=Sum("amount"),
            wins=Count("pk"),
            customers=Count("customer_id", distinct=True),
        )
        .order_by("month")
    )
    rows = [
        {
            "month": row["month"].strftime("%Y-%m"),
            "amount": row["amount"],
            "wins": row["wins"],
            "customers": row["customers"],
        }
        for row in months
    ]
    return Table(
        "by_month",
        _("Wins by month"),
        [
            Column("month", _("Month")),
            Column("amount", _("Won amount"), "amount"),
            Column("wins", _("Wins"), "count"),
            Column("customers", _("Customers with a win"), "count"),
        ],
        rows,
    )


def _top(user, filters) -> Table:
    customers = (
        Customer.objects.for_user(user, "view")
        .filter(filters.customer_q(), filters.owner_q("owner"))
        .filter(historical_amount__gt=0)
        .select_related("owner")
        .only(
            "customer_no",
            "name",
            "historical_amount",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
        # Ties by customer ID in its natural order: the per-day counter grows
        # past 999 to 1000, which sorts before 999 as text, so within the
        # same prefix and day the shorter ID comes first.
        .order_by(
            "-historical_amount",
            Substr("customer_no", 1, 9),
            Length("customer_no"),
            "customer_no",
        )[:TOP]
    )
    rows = [
        {
            "rank": rank,
            "customer_no": customer.customer_no,
            "name": customer.name,
            "url": customer.get_absolute_url(),
            "owner": customer.owner.get_full_name() or customer.owner.username,
            "historical_amount": customer.historical_amount,
        }
        for rank, customer in enumerate(customers, start=1)
    ]
    return Table(
        "top",
        _("Top 10 customers by historical amount"),
        [
            Column("rank", _("Rank"), "count"),
            Column("customer_no", _("Customer ID")),
            Column("name", _("Customer name"), link="url"),
            Column("owner", _("Owner")),
            Column("historical_amount", _("Historical cooperation amount"), "amount"),
        ],
        rows,
        note=_(
            "All-time historical cooperation amount, whatever the period; "
            "customers with no amount are left out."
        ),
    )
