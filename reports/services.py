"""Writes of the reports app: the monthly sales targets (业绩目标).

A month's targets are set together on one page by managers and admins. Two
of them may have the page open at once; a save checks that the month's rows
are still what the form was rendered from (`targets_token`) and refuses
otherwise, so nobody overwrites a colleague's targets without seeing them.
"""

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Report, SalesTarget
from .queries.team import display_name, sales_users_q


class StaleTargets(Exception):
    """The month's targets changed since the form was rendered; nothing was saved."""


@dataclass(frozen=True)
class TargetValue:
    """What the form gives for one user: no amount removes the target."""

    won_amount: Decimal | None
    new_customers: int | None = None


def may_set_targets(user) -> bool:
    return Report.may(user, "team")


def previous_month(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def month_targets(month: datetime.date) -> dict[int, SalesTarget]:
    """{user id: target} of the month."""
    rows = SalesTarget.objects.filter(month=month).order_by("user_id")
    return {row.user_id: row for row in rows}


def target_users(month: datetime.date) -> list:
    """Whom a month's targets are set for: the active users of the sales
    roles, and whoever already has a target that month (so it can be seen
    and removed after they left the role). Ordered by name."""
    users = get_user_model().objects.filter(
        sales_users_q()
        | Q(pk__in=SalesTarget.objects.filter(month=month).values("user"))
    )
    return sorted(users, key=lambda u: (display_name(u), u.get_username()))


def targets_token(rows) -> str:
    """A fingerprint of a month's targets (user, amount, new customers): what
    the form carries to tell whether they changed since it was rendered."""
    text = ";".join(
        f"{row.user_id}:{row.won_amount:.2f}:{row.new_customers}"
        for row in sorted(rows, key=lambda r: r.user_id)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _check(month: datetime.date) -> None:
    if month.day != 1:
        raise ValueError(f"a target month is its first day, not {month}")


def _check_values(values: dict[int, TargetValue], allowed: set[int]) -> None:
    errors = []
    if set(values) - allowed:
        errors.append(_("Targets are set for the users of the sales roles only."))
    for value in values.values():
        if value.won_amount is None and value.new_customers is not None:
            errors.append(_("Give a won amount target to set a new customers target."))
        if value.won_amount is not None and value.won_amount < 0:
            errors.append(_("A target cannot be negative."))
        if value.new_customers is not None and value.new_customers < 0:
            errors.append(_("A target cannot be negative."))
    if errors:
        raise ValidationError(list(dict.fromkeys(errors)))


def targets_save(
    *,
    month: datetime.date,
    values: dict[int, TargetValue],
    actor,
    expected: str,
) -> int:
    """Set the month's targets of the users in `values` ({user id: value});
    a value without an amount removes that user's target. Users not in
    `values` keep theirs. Returns the number of targets changed.

    Raises `StaleTargets` when the month's targets are no longer those
    `expected` (their `targets_token`) describes: a colleague saved
    meanwhile, and nothing is written. All or nothing."""
    _check(month)
    if not may_set_targets(actor):
        raise PermissionDenied
    try:
        with transaction.atomic():
            current = {
                row.user_id: row
                for row in SalesTarget.objects.select_for_update()
                .filter(month=month)
                .order_by("user_id")
            }
            if targets_token(current.values()) != expected:
                raise StaleTargets
            _check_values(values, {u.pk for u in target_users(month)})
            changed = 0
            # One statement per user whose target changed: bounded by the
            # sales team, and each row keeps who set it last.
            for user_id, value in sorted(values.items()):
                row = current.get(user_id)
                if value.won_amount is None:
                    if row is not None:
                        row.delete()
                        changed += 1
                    continue
                if row is None:
                    row = SalesTarget(user_id=user_id, month=month)
                elif (row.won_amount, row.new_customers) == (
                    value.won_amount,
                    value.new_customers,
                ):
                    continue
                row.won_amount = value.won_amount
                row.new_customers = value.new_customers
                row.updated_by = actor
                row.save()
                changed += 1
            return changed
    except IntegrityError as exc:
        # A colleague created one of these targets after our read (there was
        # no row to lock yet): the month changed under us.
        raise StaleTargets from exc


def targets_copy(*, month: datetime.date, actor) -> int:
    """Give the month the previous month's targets of users who have none
    this month and are still active; existing targets are left as they are.
    Returns the number of targets copied."""
    _check(month)
    if not may_set_targets(actor):
        raise PermissionDenied
    with transaction.atomic():
        taken = SalesTarget.objects.filter(month=month).values("user")
        source = (
            SalesTarget.objects.filter(
                month=previous_month(month), user__is_active=True
            )
            .exclude(user__in=taken)
            .order_by("user_id")
        )
        rows = [
            SalesTarget(
                user_id=row.user_id,
                month=month,
                won_amount=row.won_amount,
                new_customers=row.new_customers,
                updated_by=actor,
            )
            for row in source
        ]
        before = SalesTarget.objects.filter(month=month).count()
        # A colleague may have set one of them meanwhile: theirs stays.
        SalesTarget.objects.bulk_create(rows, ignore_conflicts=True)
        return SalesTarget.objects.filter(month=month).count() - before
