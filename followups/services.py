"""Writes on follow-ups; every one is atomic and leaves history.

Who may write what (DESIGN §4): a follow-up is logged on a customer the actor
may view, by a role holding `add_followup`; it is logged as the actor's own
unless the actor's role may change every follow-up (managers, admins), who
may log it for a colleague. The writer changes their own follow-ups, those
roles any. A next plan needs a time and an owner, and the owner must be a
colleague who may view the customer. The customer's `last_followup_at` is
recomputed in the same transaction by every write that can move it.
Each write is one `transaction.atomic()` block (mutmut skips decorated
functions, see customers/services.py).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import history, permissions
from crm import services as record_services
from crm.models import HistoryEntry
from customers.models import Customer
from opportunities.models import Opportunity
from opportunities.services import note_followup

from .models import FollowUp

# What a form hands over; anything else in `data` is refused.
FIELDS = (
    "opportunity",
    "occurred_at",
    "method",
    "user",
    "content",
    "feedback",
    "next_at",
    "next_owner",
    "next_goal",
    "custom",
)


def _name(user) -> str:
    return user.get_full_name() or user.username


def may_view_customer(user, customer_id) -> bool:
    return (
        user.is_active
        and Customer.objects.for_user(user, "view").filter(pk=customer_id).exists()
    )


def may_log_for_others(user) -> bool:
    return permissions.has_model_perm(user, FollowUp, "change")


def refresh_last_followup(customer_id) -> None:
    """Set the customer's last follow-up time from its live follow-ups (one UPDATE).

    `update()` leaves the customer's version and "last updated" alone: logging
    a follow-up is not an edit of the customer, and must not make someone's
    open customer form stale."""
    latest = (
        FollowUp.objects.alive()
        .filter(customer=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    Customer.objects.filter(pk=customer_id).update(last_followup_at=Subquery(latest))


def _check_people(actor, followup: FollowUp, old: FollowUp | None = None) -> None:
    """The follower and the plan's owner follow the role rules (see above)."""
    errors = {}
    old_user = old.user_id if old else actor.pk
    if followup.user_id != old_user:
        if not may_log_for_others(actor):
            errors["user"] = _("You can only log your own follow-ups.")
        elif not may_view_customer(followup.user, followup.customer_id):
            errors["user"] = _(
                "%(user)s cannot see this customer; choose a colleague who can."
            ) % {"user": _name(followup.user)}
    plan_fields = (followup.next_at, followup.next_owner_id, followup.next_goal)
    if any(plan_fields):
        if followup.next_at is None:
            errors["next_at"] = _("Give the next follow-up a time.")
        if followup.next_owner_id is None:
            errors["next_owner"] = _("Choose who does the next follow-up.")
        elif (
            old is None or followup.next_owner_id != old.next_owner_id
        ) and not may_view_customer(followup.next_owner, followup.customer_id):
            errors["next_owner"] = _(
                "%(user)s cannot see this customer; choose a colleague who can."
            ) % {"user": _name(followup.next_owner)}
    if errors:
        raise ValidationError(errors)


def _check_opportunity(actor, followup: FollowUp, old_id=None) -> None:
    """The deal, when given, is one of this customer's that the actor sees
    (a forged id of another customer's deal is refused, not linked)."""
    if followup.opportunity_id is None or followup.opportunity_id == old_id:
        return
    visible = Opportunity.objects.for_user(actor, "view").filter(
        pk=followup.opportunity_id, customer_id=followup.customer_id
    )
    if not visible.exists():
        raise ValidationError(
            {"opportunity": _("Choose one of this customer's opportunities.")}
        )


def _apply(followup: FollowUp, data: dict) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown follow-up fields: {sorted(unknown)}")
    for name, value in data.items():
        setattr(followup, name, value)


def followup_create(*, actor, customer: Customer, data: dict) -> FollowUp:
    """Log a follow-up on `customer`; `data` as in FIELDS (time defaults to now,
    the follower to the actor)."""
    with transaction.atomic():
        if not permissions.has_model_perm(actor, FollowUp, "add"):
            raise PermissionDenied
        if not may_view_customer(actor, customer.pk):
            raise PermissionDenied
        followup = FollowUp(customer=customer, user=actor)
        _apply(followup, data)
        if followup.occurred_at is None:
            followup.occurred_at = timezone.now()
        _check_people(actor, followup)
        _check_opportunity(actor, followup)
        followup.full_clean(exclude=["record_no", "created_at"])
        with history.tracked(followup, actor, HistoryEntry.Action.CREATE):
            followup.save()
        refresh_last_followup(customer.pk)
        if followup.opportunity_id:
            note_followup(followup.opportunity_id, followup.occurred_at)
        return followup


def followup_check_version(*, followup: FollowUp, expected_version: int) -> None:
    followup.check_version(expected_version)


def followup_update(
    *, actor, followup: FollowUp, data: dict, expected_version: int
) -> FollowUp:
    """Apply `data` if nobody saved the follow-up since `expected_version`."""
    with transaction.atomic():
        current = FollowUp.lock_version(followup.pk, expected_version)
        if (
            not FollowUp.objects.for_user(actor, "change")
            .filter(pk=current.pk)
            .exists()
        ):
            raise PermissionDenied
        old = FollowUp(
            user_id=current.user_id,
            next_owner_id=current.next_owner_id,
            customer_id=current.customer_id,
        )
        old_opportunity = current.opportunity_id
        with history.tracked(current, actor):
            _apply(current, data)
            _check_people(actor, current, old)
            _check_opportunity(actor, current, old_opportunity)
            current.full_clean(exclude=["record_no", "created_at"])
            current.version += 1
            current.save()
        refresh_last_followup(current.customer_id)
        if current.opportunity_id:
            note_followup(current.opportunity_id, current.occurred_at)
        return current


def may_complete_plan(user, followup: FollowUp) -> bool:
    """The plan's owner completes it; so does whoever may change the record."""
    if followup.next_at is None:
        return False
    if followup.next_owner_id == user.pk and user.is_active:
        return FollowUp.objects.for_user(user, "view").filter(pk=followup.pk).exists()
    return FollowUp.objects.for_user(user, "change").filter(pk=followup.pk).exists()


def followup_complete_plan(*, actor, followup: FollowUp) -> FollowUp:
    """Mark the follow-up's next plan done (a no-op when it already is)."""
    with transaction.atomic():
        current = FollowUp.objects.alive().select_for_update().get(pk=followup.pk)
        if not may_complete_plan(actor, current):
            raise PermissionDenied
        if current.next_done:
            return current
        with history.tracked(current, actor):
            current.next_done = True
            current.version += 1
            current.save()
        return current


def followup_log_from_plan(*, actor, plan: FollowUp, data: dict) -> FollowUp:
    """Log the follow-up `plan` planned and mark the plan done, together."""
    with transaction.atomic():
        current = FollowUp.objects.alive().select_for_update().get(pk=plan.pk)
        if not may_complete_plan(actor, current):
            raise PermissionDenied
        if current.next_done:
            raise ValidationError(
                _("This plan was already marked done; log a new follow-up instead.")
            )
        followup = followup_create(actor=actor, customer=current.customer, data=data)
        followup_complete_plan(actor=actor, followup=current)
        return followup


def followup_delete(*, actor, followup: FollowUp) -> None:
    with transaction.atomic():
        deletable = FollowUp.objects.for_user(actor, "delete")
        if not deletable.filter(pk=followup.pk).exists():
            raise PermissionDenied
        record_services.record_soft_delete(actor=actor, record=followup)
        refresh_last_followup(followup.customer_id)


def followup_restore(*, actor, followup: FollowUp) -> None:
    with transaction.atomic():
        record_services.record_restore(actor=actor, record=followup)
        refresh_last_followup(followup.customer_id)


def followup_purge(*, actor, followup: FollowUp) -> None:
    with transaction.atomic():
        customer_id = followup.customer_id
        record_services.record_purge(actor=actor, record=followup)
        refresh_last_followup(customer_id)
