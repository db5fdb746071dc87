"""Demo sales targets for `manage.py seed_demo` (registered in
ReportsConfig.ready, after the opportunities): this month's and the last two
months' targets for the sales reps, sized on what each won in the last three
months, so the team report's completion and the rep's workbench panel have
something to show. Idempotent: a month that has targets is left as it is.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from opportunities.models import Opportunity

from .filters import local_midnight, month_start
from .models import SalesTarget

MONTHS = 3
FLOOR = Decimal("200000.00")
STEP = Decimal("10000")


def seed(users: dict, stdout) -> None:
    first = month_start(timezone.localdate())
    months = [first]
    for _i in range(MONTHS - 1):
        months.append(month_start(months[-1] - datetime.timedelta(days=1)))
    reps = [users[name] for name in ("rep1", "rep2") if name in users]
    made = 0
    with transaction.atomic():
        for month in months:
            if SalesTarget.objects.filter(month=month).exists():
                continue
            for rep in reps:
                won = Opportunity.objects.won().filter(
                    owner=rep, won_at__gte=local_midnight(months[-1])
                ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
                # A third of three months' wins, rounded to ten thousand.
                target = max(
                    FLOOR,
                    (won / MONTHS / STEP).quantize(Decimal(1), rounding=ROUND_HALF_UP)
                    * STEP,
                )
                SalesTarget.objects.create(
                    user=rep, month=month, won_amount=target, new_customers=3
                )
                made += 1
    if made:
        stdout.write(f"{made} demo sales targets created.")
