"""The reports' workbench panels (registered in ReportsConfig.ready): the
managers' dashboard of this month's key figures, and a user's progress on
this month's sales target. Each reads a fixed number of queries."""

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm import permissions
from opportunities.models import Opportunity

from .filters import month_start
from .models import Report, SalesTarget
from .queries import dashboard as queries
from .queries import team
from .tables import percent, ratio

THIS_MONTH, LAST_MONTH = "this_month", "last_month"


@dataclass(frozen=True)
class Change:
    """This month against last month, as the card shows it: a sign and the
    absolute difference (`amount`, a count or CNY; `points`, percentage
    points for rates), and for counts and amounts the relative change
    (`relative`, a fraction; None when last month is 0, shown as "—")."""

    direction: str  # "up", "down" or "flat"
    sign: str
    amount: object = None
    points: Decimal | None = None
    relative: Decimal | None = None


def change(this, last, kind: str) -> Change | None:
    """None when there is nothing to compare (a rate without a value)."""
    if this is None or last is None:
        return None
    # Rates compare the percentages as shown (one decimal), so 32.5% after
    # 25.0% reads "+7.5 pp" and two rates shown alike read "no change".
    difference = percent(this) - percent(last) if kind == "rate" else this - last
    direction = "up" if difference > 0 else "down" if difference < 0 else "flat"
    sign = {"up": "+", "down": "−", "flat": ""}[direction]
    if kind == "rate":
        return Change(direction, sign, points=abs(difference))
    relative = ratio(abs(difference), last)
    return Change(direction, sign, amount=abs(difference), relative=relative)


def report_url(report: str, period: str) -> str:
    return reverse(f"reports:{report}") + "?" + urlencode({"period": period})


def dashboard(request, today=None) -> dict | None:
    """This month's key figures against last month's, for those who see
    every user's figures (admins, managers); each links to its report.
    `today` (default: today in the site's time zone) picks the month."""
    user = request.user
    if not permissions.has_model_perm(user, Report, "team"):
        return None
    figures = queries.key_figures(user, today or timezone.localdate())
    cards = [
        ("new_customers", _("New customers"), "count", "distribution"),
        ("followups", _("Follow-ups"), "count", "team"),
        ("pipeline", _("New pipeline"), "amount", "funnel"),
        ("won", _("Won amount"), "amount", "value"),
        ("collection", _("Collection rate"), "rate", "team"),
        ("target_completion", _("Target completion"), "rate", "team"),
    ]
    return {
        "month": figures.this_month,
        "cards": [
            {
                "key": key,
                "label": label,
                "kind": kind,
                "this": getattr(figures, key).this,
                "last": getattr(figures, key).last,
                "change": change(
                    getattr(figures, key).this, getattr(figures, key).last, kind
                ),
                "url": report_url(report, THIS_MONTH),
                "last_url": report_url(report, LAST_MONTH),
            }
            for key, label, kind, report in cards
        ],
        "targets": figures.targets.this,
        "targets_url": reverse("reports:targets")
        + "?"
        + urlencode({"month": f"{figures.this_month:%Y-%m}"}),
    }


def target_progress(request) -> dict | None:
    """The user's progress on this month's sales target; for those who take
    on deals and have none, a note that none is set."""
    user = request.user
    month = month_start(timezone.localdate())
    # Targets are set for the users who take on deals; everyone else
    # (service, success) stops here without a query.
    if not permissions.has_model_perm(user, Opportunity, "add"):
        return None
    if not SalesTarget.objects.filter(user=user, month=month).exists():
        return {
            "progress": None,
            "targets_url": (
                reverse("reports:targets")
                if permissions.has_model_perm(user, Report, "team")
                else ""
            ),
        }
    progress = team.month_progress(user, month)
    return {
        "progress": progress,
        # <progress> takes a value and a max; past 100% the bar is full and
        # the percentage says by how much.
        "won_bar": min(progress["won_amount"], progress["target"]),
        "customers_bar": (
            min(progress["new_customers"], progress["new_customers_target"])
            if progress["new_customers_target"] is not None
            else None
        ),
        "url": report_url("team", THIS_MONTH) + "&" + urlencode({"owner": user.pk}),
    }
