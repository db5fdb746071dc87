"""The action lists (DESIGN §7): high-potential customers rarely followed,
stalled opportunities and customers at renewal risk, as of a day.

Days are whole days in the site's time zone: "the N days up to the as-of
date" are the as-of date and the N − 1 days before it, i.e. from local
midnight N − 1 days before the as-of date to the end of the as-of date.

What counts as a follow-up or a complaint is about the customer, not about
what the viewer may see: any live follow-up or ticket of the customer counts,
whoever logged it. The customers and deals listed are those the viewer may
see (`for_user()`), with the report's filters applied on top.

Each list is one query, its first `CAP` rows in the list's order carrying
the number of rows in the whole list as a window count; the stalled deals,
whose order an index gives, read the rows and the count apart (`capped`).
For the as-of date today (or later) the lists ride the columns the services
keep (`Customer.last_followup_at`, `Opportunity.last_activity_at`); for a past
date they are computed from the follow-ups, stage changes and tickets up to that
day (see each list for what history can and cannot say).
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.querysets import flag
from customers.models import Customer
from followups.models import FollowUp, Ticket
from opportunities.models import OPEN_STAGES, Opportunity, Stage, StageChange

from ..filters import ReportFilters, local_midnight
from ..tables import Column, ReportResult, Table

# The most rows a list shows; the note says how many there are in all.
CAP = 100
# The seeded tag (customers/reference.py) that marks a high-potential customer.
HIGH_POTENTIAL_TAG = "高潜力客户"
# How the reasons of a renewal-risk row are joined (a Chinese list separator).
REASON_SEPARATOR = "、"


@dataclass(frozen=True)
class AsOf:
    """The day the lists are computed for, and the instants that bound it."""

    day: datetime.date
    # The first instant after the as-of date.
    end: datetime.datetime
    # Today or later: the kept columns say the same as the history.
    live: bool

    @classmethod
    def of(cls, filters: ReportFilters) -> "AsOf":
        today = timezone.localdate()
        day = filters.as_of or today
        return cls(
            day=day,
            end=local_midnight(day + datetime.timedelta(days=1)),
            live=day >= today,
        )

    def since(self, days: int) -> datetime.datetime:
        """The first instant of the `days` days up to the as-of date."""
        return self.end - datetime.timedelta(days=days)


# -- building blocks --------------------------------------------------------


def followed_between(start, end):
    """The customer (OuterRef) has a live follow-up in [start, end)."""
    return Exists(
        FollowUp.objects.alive().filter(
            customer=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end
        )
    )


def quiet_q(as_of: AsOf, days: int) -> Q:
    """The customer had no live follow-up in the `days` days up to as-of."""
    since = as_of.since(days)
    window = followed_between(since, as_of.end)
    if not as_of.live:
        return Q(~window)
    # `last_followup_at` is the latest live follow-up; only one logged after
    # the as-of date (never through the form) needs the follow-ups read.
    return (
        Q(last_followup_at__isnull=True)
        | Q(last_followup_at__lt=since)
        | Q(last_followup_at__gte=as_of.end) & Q(~window)
    )


def last_followup(as_of: AsOf):
    """The time of the customer's latest live follow-up up to as-of."""
    latest = Subquery(
        FollowUp.objects.alive()
        .filter(customer=OuterRef("pk"), occurred_at__lt=as_of.end)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    if not as_of.live:
        return latest
    return Case(
        When(last_followup_at__isnull=True, then=Value(None)),
        When(last_followup_at__lt=as_of.end, then=F("last_followup_at")),
        default=latest,
        output_field=DateTimeField(),
    )


def customers_for(user, filters: ReportFilters, as_of: AsOf):
    return (
        Customer.objects.for_user(user, "view")
        .filter(filters.customer_q(), filters.owner_q("owner"))
        .filter(created_at__lt=as_of.end)
        .select_related("owner", "success_manager")
    )


def capped(queryset, *order, indexed: bool = False) -> tuple[list, int]:
    """The first CAP rows in `order`, and how many rows there are in all.

    One query by default: the rows carry the size of the whole list as a
    window count, so the list's rows are found once. With `indexed` (an
    index gives the order), two: the first CAP rows read in the index's
    order, joined (owner, customer) for those rows only, and a count without
    the joins, index-only where it can be; the window count made the
    database build, join and sort the whole list first (a rep's 64,000
    stalled deals at 600,000 customers: 0.9 s)."""
    if not indexed:
        rows = list(
            queryset.annotate(list_total=Window(Count("pk"))).order_by(*order)[:CAP]
        )
        return rows, rows[0].list_total if rows else 0
    rows = list(queryset.order_by(*order)[:CAP])
    total = len(rows) if len(rows) < CAP else queryset.order_by().count()
    return rows, total


def cap_note(note, shown: int, total: int) -> str:
    if total <= shown:
        return note
    more = _("Showing the first %(shown)d of %(total)d.") % {
        "shown": shown,
        "total": total,
    }
    return f"{note} {more}"


def name_of(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def log_url(customer_no: str, opp_no: str = "") -> str:
    """The log-a-follow-up form with the customer (and deal) chosen."""
    params = {"customer": customer_no}
    if opp_no:
        params["opportunity"] = opp_no
    return f"{reverse('followups:followup_create')}?{urlencode(params)}"


LOG = _("Log a follow-up")


def log_column() -> Column:
    return Column("log", _("Actions"), "text", link="log_url")


# -- the lists ----------------------------------------------------------------


def high_potential(user, filters: ReportFilters, as_of: AsOf) -> tuple[Table, int]:
    """Customers tagged 高潜力客户 or of level A with no follow-up in the
    CRM_RARELY_FOLLOWED_DAYS days up to as-of; never followed first, then the
    longest unfollowed. Tags and level are as they are now."""
    days = settings.CRM_RARELY_FOLLOWED_DAYS
    tagged = Exists(
        Customer.tags.through.objects.filter(
            customer_id=OuterRef("pk"), tag__name=HIGH_POTENTIAL_TAG
        )
    )
    queryset = (
        customers_for(user, filters, as_of)
        .filter(Q(level=Customer.Level.A) | Q(tagged))
        .filter(quiet_q(as_of, days))
        .annotate(last_at=last_followup(as_of))
    )
    found, total = capped(
        queryset, F("last_at").asc(nulls_first=True), "customer_no", "pk"
    )
    rows = [
        {
            "customer_no": c.customer_no,
            "name": c.name,
            "url": c.get_absolute_url(),
            "owner": name_of(c.owner),
            "level": c.get_level_display(),
            "last_followup": local_day(c.last_at),
            "log": LOG,
            "log_url": log_url(c.customer_no),
        }
        for c in found
    ]
    note = _(
        "Customers tagged %(tag)s or of level A with no follow-up in the "
        "%(days)d days up to %(day)s, never followed first."
    ) % {"tag": HIGH_POTENTIAL_TAG, "days": days, "day": as_of.day.isoformat()}
    return Table(
        "high_potential",
        _("High potential, rarely followed"),
        [
            Column("customer_no", _("Customer ID")),
            Column("name", _("Customer"), link="url"),
            Column("owner", _("Owner")),
            Column("level", _("Customer level")),
            Column("last_followup", _("Last follow-up"), "date"),
            log_column(),
        ],
        rows,
        note=cap_note(note, len(rows), total),
    ), total


def stalled_from_history(opportunities, as_of: AsOf, since: datetime.datetime):
    """The deals open at the end of the as-of date whose last activity (their
    creation, a stage change, a live follow-up on the deal) up to then is
    before `since`, from the stage history and the follow-ups.

    The stage then is the last stage change before the end of the day (the
    current stage for a deal without any history). It can differ from what
    `last_activity_at` recorded at the time only where the data changed
    since: a follow-up deleted, moved to another deal or re-dated."""
    changes = StageChange.objects.filter(
        opportunity=OuterRef("pk"), changed_at__lt=as_of.end
    ).order_by("-changed_at", "-id")
    followed = (
        FollowUp.objects.alive()
        .filter(opportunity=OuterRef("pk"), occurred_at__lt=as_of.end)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    created = F("created_at")
    return (
        opportunities.filter(created_at__lt=as_of.end)
        .annotate(
            stage_then=Coalesce(Subquery(changes.values("to_stage")[:1]), F("stage")),
            # Coalesced: SQLite's multi-argument MAX() is NULL if one is.
            last_at=Greatest(
                created,
                Coalesce(Subquery(changes.values("changed_at")[:1]), created),
                Coalesce(Subquery(followed), created),
            ),
        )
        .filter(stage_then__in=OPEN_STAGES, last_at__lt=since)
    )


def stalled(user, filters: ReportFilters, as_of: AsOf) -> tuple[Table, int]:
    """Open deals with no stage change and no follow-up on the deal in the
    CRM_STALLED_DAYS days up to as-of; the longest idle first. For today this
    is `Opportunity.objects.stalled(since)` (`last_activity_at`)."""
    days = settings.CRM_STALLED_DAYS
    since = as_of.since(days)
    opportunities = (
        Opportunity.objects.for_user(user, "view")
        .filter(filters.customer_q("customer__"), filters.owner_q("owner"))
        .select_related("customer", "owner")
    )
    if as_of.live:
        queryset = opportunities.stalled(since).annotate(
            stage_then=F("stage"), last_at=F("last_activity_at")
        )
    else:
        queryset = stalled_from_history(opportunities, as_of, since)
    # Today's list reads `opportunity_open_idle` in its order.
    found, total = capped(queryset, "last_at", "opp_no", "pk", indexed=as_of.live)
    rows = [
        {
            "opp_no": o.opp_no,
            "name": o.name,
            "url": o.get_absolute_url(),
            "customer": o.customer.name,
            "customer_url": o.customer.get_absolute_url(),
            "owner": name_of(o.owner),
            "stage": Stage(o.stage_then).label,
            "amount": o.amount,
            "last_activity": local_day(o.last_at),
            "log": LOG,
            "log_url": log_url(o.customer.customer_no, o.opp_no),
        }
        for o in found
    ]
    note = _(
        "Open opportunities with no stage change and no follow-up on the deal "
        "in the %(days)d days up to %(day)s, the longest idle first."
    ) % {"days": days, "day": as_of.day.isoformat()}
    if not as_of.live:
        note = "{} {}".format(
            note,
            _(
                "For a past date the stage and the last activity come from the "
                "stage history and the follow-ups as they are now."
            ),
        )
    return Table(
        "stalled",
        _("Stalled opportunities"),
        [
            Column("opp_no", _("Opportunity ID")),
            Column("name", _("Opportunity"), link="url"),
            Column("customer", _("Customer"), link="customer_url"),
            Column("owner", _("Owner")),
            Column("stage", _("Sales stage")),
            Column("amount", _("Expected amount"), "amount"),
            Column("last_activity", _("Last activity"), "date"),
            log_column(),
        ],
        rows,
        note=cap_note(note, len(rows), total),
    ), total


def open_complaint(as_of: AsOf):
    """The customer (OuterRef) had a complaint open at the end of as-of:
    created by then and not resolved by then. Reopening clears the
    resolution time, so a reopened complaint counts as open since it was
    first opened."""
    return Exists(
        Ticket.objects.alive().filter(
            Q(status__in=Ticket.OPEN_STATUSES) | Q(resolved_at__gte=as_of.end),
            customer=OuterRef("pk"),
            kind=Ticket.Kind.COMPLAINT,
            created_at__lt=as_of.end,
        )
    )


def last_satisfaction(as_of: AsOf):
    """The score of the customer's (OuterRef) latest ticket closed by the end
    of as-of with a score."""
    return Subquery(
        Ticket.objects.alive()
        .filter(
            customer=OuterRef("pk"),
            closed_at__lt=as_of.end,
            satisfaction__isnull=False,
        )
        .order_by("-closed_at", "-id")
        .values("satisfaction")[:1]
    )


def renewal_risk(user, filters: ReportFilters, as_of: AsOf) -> tuple[Table, int]:
    """Customers renewing within CRM_RENEWAL_WINDOW_DAYS of as-of (both days
    included) that had no follow-up in CRM_RENEWAL_QUIET_DAYS days, have an
    open complaint, or rated their last closed ticket at most
    CRM_RENEWAL_LOW_SATISFACTION; soonest renewal first."""
    quiet_days = settings.CRM_RENEWAL_QUIET_DAYS
    low = settings.CRM_RENEWAL_LOW_SATISFACTION
    last_day = as_of.day + datetime.timedelta(days=settings.CRM_RENEWAL_WINDOW_DAYS)
    quiet = quiet_q(as_of, quiet_days)
    queryset = (
        customers_for(user, filters, as_of)
        .filter(renewal_date__gte=as_of.day, renewal_date__lte=last_day)
        .annotate(
            is_quiet=flag(quiet),
            has_complaint=open_complaint(as_of),
            last_score=last_satisfaction(as_of),
        )
        .filter(quiet | Q(has_complaint=True) | Q(last_score__lte=low))
    )
    found, total = capped(queryset, "renewal_date", "customer_no", "pk")
    rows = []
    for c in found:
        reasons = []
        if c.is_quiet:
            reasons.append(_("no follow-up in %(days)d days") % {"days": quiet_days})
        if c.has_complaint:
            reasons.append(str(_("open complaint")))
        if c.last_score is not None and c.last_score <= low:
            reasons.append(_("last satisfaction %(score)d") % {"score": c.last_score})
        rows.append(
            {
                "customer_no": c.customer_no,
                "name": c.name,
                "url": c.get_absolute_url(),
                "owner": name_of(c.owner),
                "success_manager": name_of(c.success_manager),
                "renewal_date": c.renewal_date,
                "reasons": REASON_SEPARATOR.join(reasons),
                "log": LOG,
                "log_url": log_url(c.customer_no),
            }
        )
    note = _(
        "Customers renewing from %(first)s to %(last)s with no follow-up in the "
        "%(days)d days up to %(first)s, an open complaint, or a satisfaction "
        "of at most %(low)d on their last closed ticket."
    ) % {
        "first": as_of.day.isoformat(),
        "last": last_day.isoformat(),
        "days": quiet_days,
        "low": low,
    }
    return Table(
        "renewal_risk",
        _("Renewal risk"),
        [
            Column("customer_no", _("Customer ID")),
            Column("name", _("Customer"), link="url"),
            Column("owner", _("Owner")),
            Column("success_manager", _("Customer success manager")),
            Column("renewal_date", _("Renewal date"), "date"),
            Column("reasons", _("Reasons")),
            log_column(),
        ],
        rows,
        note=cap_note(note, len(rows), total),
    ), total


def build(user, filters: ReportFilters) -> ReportResult:
    as_of = AsOf.of(filters)
    potential, potential_total = high_potential(user, filters, as_of)
    idle, idle_total = stalled(user, filters, as_of)
    risk, risk_total = renewal_risk(user, filters, as_of)
    return ReportResult(
        tables=[potential, idle, risk],
        charts=[],
        figures=[
            (_("High potential, rarely followed"), potential_total, "count"),
            (_("Stalled opportunities"), idle_total, "count"),
            (_("Renewal risk"), risk_total, "count"),
        ],
    )
