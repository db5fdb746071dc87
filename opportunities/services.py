"""Writes on opportunities and payments; each is atomic and leaves history.

Rules (DESIGN §3–4):
- Stages move only through `opportunity_move` (and `opportunity_lose`, which
  needs a reason): every move records a `StageChange`, resets the probability
  to the new stage's default, and is refused as stale when the deal moved
  since the user saw it (the board's drag and the detail page's buttons).
- Winning (an open stage → 成交 or 售后) adds the amount to the customer's
  historical amount and sets the first cooperation date and the status
  成交客户 where they were not, in the same transaction, remembering on the
  deal what it changed; reverting the win (back to an open stage) undoes
  exactly that. Changing a won deal's amount moves the customer's historical
  amount by the difference.
- Payments go on won deals only, and never take the total over the amount:
  the deal's row is locked while the total is read, so two payments recorded
  at the same moment cannot both pass.
- Who: the owner and whoever may change the deal (the queryset says who)
  works it; only roles holding `reassign_opportunity` give it to another
  owner, who must be a sales colleague able to see the customer.
Each write is one `transaction.atomic()` block (mutmut skips decorated
functions; see customers/services.py).
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import history, permissions
from crm import services as record_services
from crm.models import HistoryEntry
from crm.templatetags.crm_tags import money
from customers.models import Customer

from .models import (
    DEFAULT_PROBABILITY,
    OPEN_STAGES,
    WON_STAGES,
    Opportunity,
    Payment,
    Stage,
    StageChange,
)

# What the create and edit forms hand over; anything else is refused.
FIELDS = (
    "name",
    "amount",
    "expected_close_date",
    "probability",
    "competitor",
    "competitor_focus",
    "owner",
    "custom",
)


def _name(user) -> str:
    return user.get_full_name() or user.username


def _money(value: Decimal) -> str:
    return money(value)


def _require(actor, opportunity: Opportunity, action: str) -> None:
    """The views check first; the services refuse too (a 403 either way)."""
    allowed = Opportunity.objects.for_user(actor, action)
    if not allowed.filter(pk=opportunity.pk).exists():
        raise PermissionDenied


def may_reassign(user) -> bool:
    return permissions.has_model_perm(user, Opportunity, "reassign")


def possible_owners(customer: Customer):
    """Active users who may own a deal of `customer`: sales roles that see it.

    Correlated per user rather than listing the customer's viewers: a
    handful of sales users, each checked by primary key."""
    users = permissions.users_with_model_perm(Opportunity, "add")
    return [
        user
        for user in users.order_by("username")
        if Customer.objects.for_user(user, "view").filter(pk=customer.pk).exists()
    ]


def _check_owner(actor, opportunity: Opportunity, old_owner_id) -> None:
    if opportunity.owner_id == old_owner_id:
        return
    if not may_reassign(actor):
        raise ValidationError(
            {"owner": _("Only a sales manager can give a deal to someone else.")}
        )
    owner = opportunity.owner
    if not any(u.pk == owner.pk for u in possible_owners(opportunity.customer)):
        raise ValidationError(
            {
                "owner": _(
                    "%(user)s cannot own this deal: they do not work deals or "
                    "cannot see this customer."
                )
                % {"user": _name(owner)}
            }
        )


def _apply(opportunity: Opportunity, data: dict) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown opportunity fields: {sorted(unknown)}")
    for name, value in data.items():
        setattr(opportunity, name, value)


def _record_stage(actor, opportunity: Opportunity, old: str, now) -> None:
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage=old,
        to_stage=opportunity.stage,
        changed_at=now,
        changed_by=actor,
    )
    opportunity.stage_changed_at = now
    opportunity.last_activity_at = max(opportunity.last_activity_at or now, now)


def opportunity_create(
    *, actor, customer: Customer, data: dict, stage: str = Stage.LEAD, created_at=None
) -> Opportunity:
    """A new deal in an open `stage` on a customer the actor may view.

    `data` as in FIELDS; the owner defaults to the actor, the probability to
    the stage's. `created_at` is for deals loaded from elsewhere (their
    number carries that day)."""
    with transaction.atomic():
        if not permissions.has_model_perm(actor, Opportunity, "add"):
            raise PermissionDenied
        if not Customer.objects.for_user(actor, "view").filter(pk=customer.pk).exists():
            raise PermissionDenied
        if stage not in OPEN_STAGES:
            raise ValidationError(
                {"stage": _("A new deal starts in one of the open stages.")}
            )
        now = created_at or timezone.now()
        opportunity = Opportunity(
            customer=customer,
            owner=actor,
            created_by=actor,
            stage=stage,
            probability=DEFAULT_PROBABILITY[stage],
            created_at=now,
            stage_changed_at=now,
            last_activity_at=now,
        )
        if data.get("probability") is None:
            data = {k: v for k, v in data.items() if k != "probability"}
        _apply(opportunity, data)
        _check_owner(actor, opportunity, actor.pk)
        opportunity.full_clean(exclude=["opp_no", "created_at"])
        with history.tracked(opportunity, actor, HistoryEntry.Action.CREATE):
            opportunity.save()
        StageChange.objects.create(
            opportunity=opportunity,
            from_stage="",
            to_stage=stage,
            changed_at=now,
            changed_by=actor,
        )
        return opportunity


def received_total(opportunity: Opportunity) -> Decimal:
    total = opportunity.payments.aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def opportunity_update(
    *, actor, opportunity: Opportunity, data: dict, expected_version: int
) -> Opportunity:
    """Edit the deal's fields if nobody saved it since `expected_version`.

    A won deal's new amount moves the customer's historical amount by the
    difference, and may not fall below what was already received."""
    with transaction.atomic():
        _require(actor, opportunity, "change")
        current = Opportunity.lock_version(opportunity.pk, expected_version)
        old_amount, old_owner = current.amount, current.owner_id
        with history.tracked(current, actor):
            _apply(current, data)
            if current.probability is None:
                current.probability = DEFAULT_PROBABILITY[current.stage]
            _check_owner(actor, current, old_owner)
            current.full_clean(exclude=["opp_no", "created_at"])
            if current.is_won and current.amount != old_amount:
                received = received_total(current)
                if current.amount < received:
                    raise ValidationError(
                        {
                            "amount": _(
                                "%(received)s has already been received on this "
                                "deal; the amount cannot be less."
                            )
                            % {"received": _money(received)}
                        }
                    )
                _adjust_customer_amount(actor, current, current.amount - old_amount)
            current.version += 1
            current.save()
        return current


def _adjust_customer_amount(actor, opportunity: Opportunity, delta: Decimal) -> None:
    customer = Customer.objects.select_for_update().get(pk=opportunity.customer_id)
    with history.tracked(customer, actor):
        customer.historical_amount = max(
            customer.historical_amount + delta, Decimal("0.00")
        )
        customer.version += 1
        customer.save(update_fields=["historical_amount", "version", "updated_at"])


def _win(actor, opportunity: Opportunity, now) -> None:
    """The customer gains the deal: amount, first cooperation, status."""
    customer = Customer.objects.select_for_update().get(pk=opportunity.customer_id)
    with history.tracked(customer, actor):
        customer.historical_amount += opportunity.amount
        opportunity.win_set_first_cooperation = customer.first_cooperation_date is None
        if opportunity.win_set_first_cooperation:
            customer.first_cooperation_date = timezone.localdate(now)
        opportunity.win_previous_status = ""
        if customer.status != Customer.Status.ACTIVE:
            opportunity.win_previous_status = customer.status
            customer.status = Customer.Status.ACTIVE
        customer.version += 1
        customer.save()
    opportunity.won_at = now


def _unwin(actor, opportunity: Opportunity) -> None:
    """Undo exactly what `_win` did to the customer.

    When another deal of the customer is still won, what this win set is
    handed to the earliest of them (its date becomes the first cooperation
    date), so reverting that one later undoes it in turn."""
    if opportunity.payments.exists():
        raise ValidationError(
            _(
                "Payments have been recorded on this deal; delete them before "
                "moving it out of the won stages."
            )
        )
    customer = Customer.objects.select_for_update().get(pk=opportunity.customer_id)
    heir = (
        Opportunity.objects.alive()
        .won()
        .filter(customer=customer)
        .exclude(pk=opportunity.pk)
        .order_by("won_at", "pk")
        .select_for_update()
        .first()
    )
    with history.tracked(customer, actor):
        customer.historical_amount = max(
            customer.historical_amount - opportunity.amount, Decimal("0.00")
        )
        if heir is None:
            if opportunity.win_set_first_cooperation:
                customer.first_cooperation_date = None
            if opportunity.win_previous_status:
                customer.status = opportunity.win_previous_status
        else:
            if opportunity.win_set_first_cooperation:
                customer.first_cooperation_date = timezone.localdate(heir.won_at)
                heir.win_set_first_cooperation = True
            if opportunity.win_previous_status and not heir.win_previous_status:
                heir.win_previous_status = opportunity.win_previous_status
            heir.save(
                update_fields=["win_set_first_cooperation", "win_previous_status"]
            )
        customer.version += 1
        customer.save()
    opportunity.won_at = None
    opportunity.win_set_first_cooperation = False
    opportunity.win_previous_status = ""


def check_move(opportunity: Opportunity, stage: str) -> None:
    """Refuse a move the stage flow does not allow, with the reason."""
    if stage not in Stage.values:
        raise ValidationError(_("That is not a sales stage."))
    if stage == Stage.LOST:
        raise ValidationError(
            _("Mark a deal lost from its page, with the reason it was lost.")
        )
    if opportunity.is_lost and stage not in OPEN_STAGES:
        raise ValidationError(
            _("A lost deal is reopened in one of the open stages first.")
        )


def opportunity_move(
    *, actor, opportunity: Opportunity, stage: str, expected_version: int, at=None
) -> Opportunity:
    """Move the deal to `stage` (not 输单: see `opportunity_lose`).

    Into 成交/售后 from an open stage wins it; out of them into an open stage
    reverts the win (refused while payments exist); from 输单 into an open
    stage reopens it. Moving to the stage it is in changes nothing."""
    with transaction.atomic():
        _require(actor, opportunity, "change")
        current = Opportunity.lock_version(opportunity.pk, expected_version)
        check_move(current, stage)
        if stage == current.stage:
            return current
        now = at or timezone.now()
        old = current.stage
        with history.tracked(current, actor):
            if stage in WON_STAGES and old not in WON_STAGES:
                _win(actor, current, now)
            elif old in WON_STAGES and stage not in WON_STAGES:
                _unwin(actor, current)
            if old == Stage.LOST:
                current.lost_stage, current.lost_reason, current.lost_at = "", "", None
            current.stage = stage
            current.probability = DEFAULT_PROBABILITY[stage]
            _record_stage(actor, current, old, now)
            current.version += 1
            current.save()
        return current


def opportunity_lose(
    *, actor, opportunity: Opportunity, reason: str, expected_version: int, at=None
) -> Opportunity:
    """Mark an open deal lost, at the stage it was in, for `reason`."""
    with transaction.atomic():
        _require(actor, opportunity, "change")
        current = Opportunity.lock_version(opportunity.pk, expected_version)
        reason = (reason or "").strip()
        if not current.is_open:
            raise ValidationError(
                _("Only an open deal can be lost; this one is “%(stage)s”.")
                % {"stage": current.get_stage_display()}
            )
        if not reason:
            raise ValidationError({"lost_reason": _("Say why the deal was lost.")})
        now = at or timezone.now()
        old = current.stage
        with history.tracked(current, actor):
            current.lost_stage = old
            current.lost_reason = reason
            current.lost_at = now
            current.stage = Stage.LOST
            current.probability = DEFAULT_PROBABILITY[Stage.LOST]
            _record_stage(actor, current, old, now)
            current.full_clean(exclude=["opp_no", "created_at"])
            current.version += 1
            current.save()
        return current


def payment_add(*, actor, opportunity: Opportunity, data: dict) -> Payment:
    """Record a payment (amount, received_on, method, note) on a won deal.

    The deal's row is locked first, so the total read below is the total: a
    second payment posted at the same moment waits, then sees this one."""
    with transaction.atomic():
        _require(actor, opportunity, "change")
        current = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if not current.is_won:
            raise ValidationError(_("Payments are recorded on won deals only."))
        payment = Payment(opportunity=current, created_by=actor, **data)
        payment.full_clean(exclude=["opportunity"])
        if payment.received_on > timezone.localdate():
            raise ValidationError(
                {"received_on": _("A payment cannot be received in the future.")}
            )
        received = received_total(current)
        if received + payment.amount > current.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "This would take the payments over the deal's amount: "
                        "%(received)s of %(amount)s is received, so at most "
                        "%(left)s can still be recorded."
                    )
                    % {
                        "received": _money(received),
                        "amount": _money(current.amount),
                        "left": _money(current.amount - received),
                    }
                }
            )
        with history.tracked(current, actor):
            payment.save()
        return payment


def payment_delete(*, actor, payment: Payment) -> None:
    """Remove a payment recorded by mistake (kept in the deal's history)."""
    with transaction.atomic():
        _require(actor, payment.opportunity, "change")
        current = Opportunity.objects.select_for_update().get(pk=payment.opportunity_id)
        with history.tracked(current, actor):
            payment.delete()


def opportunity_delete(*, actor, opportunity: Opportunity) -> None:
    """To the trash; a won deal's win is reverted first (it counts in the
    customer's historical amount), so that is refused."""
    with transaction.atomic():
        _require(actor, opportunity, "delete")
        if opportunity.is_won:
            raise ValidationError(
                _(
                    "A won deal counts in the customer's historical amount; move "
                    "it back to an open stage before deleting it."
                )
            )
        record_services.record_soft_delete(actor=actor, record=opportunity)


def opportunity_restore(*, actor, opportunity: Opportunity) -> None:
    record_services.record_restore(actor=actor, record=opportunity)


def opportunity_purge(*, actor, opportunity: Opportunity) -> None:
    record_services.record_purge(actor=actor, record=opportunity)


def note_followup(opportunity_id, at) -> None:
    """A follow-up logged on the deal counts as activity (not stalled).

    An UPDATE of one column: logging a follow-up is not an edit of the deal,
    and must not make someone's open form of it stale."""
    Opportunity.objects.filter(pk=opportunity_id, last_activity_at__lt=at).update(
        last_activity_at=at
    )
