"""The sales funnel (DESIGN §7 Funnel).

Over the opportunities created in the period that the viewer may see: how
many reached each pre-sale stage, the conversion from each stage to the
next, the win rate, the days a deal spends in each stage; and, over the deals
won in the period, the average deal cycle.

"Reached" is the furthest stage a deal has been in, as the data stands now:
the highest of its stage history (`StageChange.to_stage`; the creation is the
first row), its current stage (成交 and 售后 reach all five) and, for a lost
deal, the stage it was lost at, which is all an imported deal without history
has to go by. The rank is computed per deal in the database and the stages
are counted with conditional aggregation: three queries (plus what
`for_user()` asks of the permission tables) whatever the number of deals.
"""

import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, Lead
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opportunities.models import (
    OPEN_STAGES,
    Opportunity,
    Stage,
    StageChange,
)

from ..expressions import Milliseconds
from ..tables import Chart, Column, ReportResult, Table, ratio

# The five pre-sale stages the funnel counts, in order.
FUNNEL_STAGES = (*OPEN_STAGES, Stage.WON)
# How far along a stage is. 售后 only follows a win, so it has reached 成交;
# 输单 (and an empty lost_stage) says nothing by itself: a lost deal's reach
# comes from its history and its lost_stage.
RANK = {stage: rank for rank, stage in enumerate(FUNNEL_STAGES, start=1)}
RANK[Stage.AFTER_SALES] = RANK[Stage.WON]

MILLISECONDS_PER_DAY = 86_400 * 1_000

STAGES_NOTE = _(
    "Deals created in the period. A deal has reached every stage up to the "
    "furthest one it has been in, from its stage history as it stands now: a "
    "won or after-sales deal has reached all five stages, a lost one what it "
    "had reached when it was lost, an imported deal without history its stage "
    "(or the stage it was lost at). A deal moved back from Won to an open stage "
    "still counts as having reached Won. Conversion is the share of the deals "
    "that reached a stage which also reached the next one. Days in a stage run "
    "from entering it to the deal's next stage change; a deal's stays in a "
    "stage are added up and averaged over the deals that were in it. A deal "
    "still in an open stage counts up to now; a won deal's time in Won counts "
    "only until it moves on. Deals without stage history have no days."
)
LOST_NOTE = _(
    "Deals created in the period that are lost now, by the stage they were lost at."
)


def rank_of(column: str) -> Case:
    return Case(
        *(When(**{column: stage}, then=Value(rank)) for stage, rank in RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def furthest_rank() -> Greatest:
    """The rank of the furthest stage an opportunity has been in, an
    aggregate over its stage history: the deals are joined to their stage
    changes and grouped by deal (a correlated subquery per deal instead took
    three times as long on SQLite, 0.48 s for a month at 100,000 customers)."""
    # Coalesce: a deal without history has a NULL MAX(), and SQLite's
    # many-argument MAX() is NULL when any argument is.
    return Greatest(
        Coalesce(Max(rank_of("stage_changes__to_stage")), Value(0)),
        rank_of("stage"),
        rank_of("lost_stage"),
    )


def stage_days(created, now: datetime.datetime) -> dict:
    """{stage: (total milliseconds, deals)} over the stage history of `created`.

    A stay runs from the row that entered the stage to the deal's next row
    (by changed_at, then id). The last stay has no next row: an open deal is
    still in it, so it counts up to `now`; a won deal's 成交 would grow
    forever and is left out (售后, 输单 are not funnel stages)."""
    # The next row of the same deal, by a window over all its rows (a stay
    # in 线索 ends when the deal moves to 输单 too). PostgreSQL cannot merge
    # a subquery holding a window into the aggregate around it, so each
    # row's next change is read once; a correlated subquery instead was
    # repeated for every use of `stay` (5 s at ten thousand customers).
    next_change = Window(
        Lead("changed_at"),
        partition_by=F("opportunity"),
        order_by=[F("changed_at").asc(), F("pk").asc()],
    )
    left_at = Coalesce(
        next_change,
        Case(
            When(to_stage__in=OPEN_STAGES, then=Value(now)),
            output_field=DateTimeField(),
        ),
    )
    # Aggregated over the annotated rows (Django wraps them in a subquery),
    # so each stay's next change is looked up once, not once per use.
    sums = {}
    for stage in FUNNEL_STAGES:
        in_stage = Q(to_stage=stage, stay__isnull=False)
        sums[f"total_{stage.value}"] = Sum("stay", filter=in_stage)
        sums[f"deals_{stage.value}"] = Count(
            "opportunity", distinct=True, filter=in_stage
        )
    totals = (
        StageChange.objects.filter(opportunity__in=created.values("pk"))
        .annotate(stay=Milliseconds(left_at, "changed_at"))
        .aggregate(**sums)
    )
    return {
        stage.value: (totals[f"total_{stage.value}"], totals[f"deals_{stage.value}"])
        for stage in FUNNEL_STAGES
    }


def days(total: int | None, count: int) -> Decimal | None:
    """`total` milliseconds ÷ `count` in days, exactly (None when nothing
    was counted)."""
    if total is None or not count:
        return None
    return Decimal(total) / (MILLISECONDS_PER_DAY * count)


def build(user, filters, *, now: datetime.datetime | None = None) -> ReportResult:
    """The funnel for `user`; `now` ends the stays still running (tests)."""
    now = now or timezone.now()
    deals = Opportunity.objects.for_user(user, "view").filter(
        filters.customer_q("customer__"),
        filters.owner_q("owner"),
        filters.stage_q(),
    )
    created = deals.filter(filters.in_period("created_at"))

    reached_counts = {
        f"reached_{stage.value}": Count("pk", filter=Q(furthest__gte=RANK[stage]))
        for stage in FUNNEL_STAGES
    }
    lost_counts = {
        f"lost_at_{stage.value}": Count(
            "pk", filter=Q(stage=Stage.LOST, lost_stage=stage)
        )
        for stage in OPEN_STAGES
    }
    counts = created.annotate(furthest=furthest_rank()).aggregate(
        total=Count("pk"),
        lost=Count("pk", filter=Q(stage=Stage.LOST)),
        **reached_counts,
        **lost_counts,
    )

    won = (
        deals.won()
        .filter(filters.in_period("won_at"))
        .aggregate(
            count=Count("pk"),
            cycle=Sum(Milliseconds("won_at", "created_at")),
            timed=Count("won_at"),
        )
    )
    stays = stage_days(created, now)

    reached = [counts[f"reached_{stage.value}"] for stage in FUNNEL_STAGES]
    rows = []
    for i, stage in enumerate(FUNNEL_STAGES):
        following = reached[i + 1] if i + 1 < len(FUNNEL_STAGES) else None
        rows.append(
            {
                "stage": stage.label,
                "key": stage.value,
                "reached": reached[i],
                "conversion": None
                if following is None
                else ratio(following, reached[i]),
                "avg_days": days(*stays[stage.value]),
            }
        )
    stages = Table(
        "stages",
        _("Stages reached"),
        [
            Column("stage", _("Stage")),
            Column("key", _("Stage code"), page=False),
            Column("reached", _("Reached"), "count"),
            Column("conversion", _("Conversion to the next stage"), "rate"),
            Column("avg_days", _("Average days in the stage"), "number"),
        ],
        rows,
        note=STAGES_NOTE,
    )
    lost = Table(
        "lost",
        _("Lost deals by stage"),
        [
            Column("stage", _("Lost at stage")),
            Column("key", _("Stage code"), page=False),
            Column("count", _("Deals"), "count"),
        ],
        [
            {
                "stage": stage.label,
                "key": stage.value,
                "count": counts[f"lost_at_{stage.value}"],
            }
            for stage in OPEN_STAGES
        ],
        total={"stage": _("Total"), "key": "", "count": counts["lost"]},
        note=LOST_NOTE,
    )
    cycle = won["cycle"]
    return ReportResult(
        tables=[stages, lost],
        charts=[
            Chart("funnel", "funnel", "stages", "stage", ("reached",)),
            Chart(
                "stage_days",
                "bar",
                "stages",
                "stage",
                ("avg_days",),
                _("Average days in each stage"),
            ),
        ],
        figures=[
            (_("Opportunities"), counts["total"], "count"),
            (_("Win rate"), ratio(reached[-1], reached[0]), "rate"),
            (_("Average deal cycle (days)"), days(cycle, won["timed"]), "number"),
            (_("Won in the period"), won["count"], "count"),
            (_("Lost"), counts["lost"], "count"),
        ],
    )
