"""Writes on service tickets; every one is atomic and leaves history.

A ticket moves through an explicit transition table (`TRANSITIONS`): an
action not allowed from the ticket's status is a `ValidationError` with a
clear message and nothing is saved. Every write that starts from a form
carries the version the user saw and is refused as stale when someone saved
since (`VersionedModel.lock_version`). Assignment and comments notify the
people involved (`notifications.services.notify`), in the same transaction.

Reopening (from resolved or closed back to in progress) clears `resolved_at`,
`closed_at` and `satisfaction`: the score rated a resolution that did not
hold, and the service report must not count a ticket that is open again as
resolved or rated. The resolution text stays as the starting point of the
next attempt (it is shown in the resolve form again), and the history keeps
every earlier value. `due_at` stays: the SLA counts from the creation.

Each write is one `transaction.atomic()` block (not a decorator: mutmut,
behind `make mutate`, skips decorated functions).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import history
from crm.models import HistoryEntry
from customers.models import Customer
from notifications.services import notify

from .models import Ticket, TicketComment

S = Ticket.Status


@dataclass(frozen=True)
class Transition:
    """A status change users trigger with a button."""

    action: str
    label: str
    sources: tuple[str, ...]
    target: str


# DESIGN §3: 新建 → 处理中 → 待客户确认 → 已解决 → 已关闭, and reopen.
TRANSITIONS = (
    Transition("start", gettext_lazy("Start work"), (S.NEW,), S.IN_PROGRESS),
    Transition(
        "wait",
        gettext_lazy("Ask the customer to confirm"),
        (S.IN_PROGRESS,),
        S.WAITING,
    ),
    Transition("resume", gettext_lazy("Resume work"), (S.WAITING,), S.IN_PROGRESS),
    Transition(
        "resolve", gettext_lazy("Resolve"), (S.IN_PROGRESS, S.WAITING), S.RESOLVED
    ),
    Transition("close", gettext_lazy("Close"), (S.RESOLVED,), S.CLOSED),
    Transition("reopen", gettext_lazy("Reopen"), (S.RESOLVED, S.CLOSED), S.IN_PROGRESS),
)
TRANSITION_BY_ACTION = {t.action: t for t in TRANSITIONS}


def transitions_from(status: str) -> list[Transition]:
    """The steps a ticket in `status` may take next, in the flow's order."""
    return [t for t in TRANSITIONS if status in t.sources]


def check_transition(ticket: Ticket, action: str) -> Transition:
    """The step `action` names, if the ticket's status allows it; else a
    ValidationError saying so."""
    step = TRANSITION_BY_ACTION.get(action)
    if step is None or ticket.status not in step.sources:
        raise ValidationError(
            _(
                "A ticket that is “%(status)s” cannot be moved that way; "
                "nothing was changed. Reload the ticket to see what it "
                "allows now."
            )
            % {"status": ticket.get_status_display()}
        )
    return step


def _name(user) -> str:
    return user.get_full_name() or user.username


def _require(actor, ticket: Ticket, action: str) -> None:
    """The views check first; the services refuse too (a 403 either way)."""
    if not Ticket.objects.for_user(actor, action).filter(pk=ticket.pk).exists():
        raise PermissionDenied


def _check_contact(customer: Customer, contact) -> None:
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError(
            {"contact": _("Choose a contact of this ticket's customer.")}
        )


def _notify_assignee(actor, ticket: Ticket) -> None:
    if ticket.assignee is None:
        return
    notify(
        recipients=[ticket.assignee],
        kind="ticket_assigned",
        actor=actor,
        target=ticket,
        url=ticket.get_absolute_url(),
        params={"ticket_no": ticket.ticket_no, "subject": ticket.subject},
    )


def ticket_open(
    *, actor, customer: Customer, data: dict, assignee=None, created_at=None
) -> Ticket:
    """A new ticket on a customer the actor may view; due from its priority's SLA.

    `data`: kind, priority, subject, description, contact (of that customer,
    or None) and custom. `created_at` is for history loaded from elsewhere."""
    with transaction.atomic():
        if not Customer.objects.for_user(actor, "view").filter(pk=customer.pk).exists():
            raise PermissionDenied
        _check_contact(customer, data.get("contact"))
        created = created_at or timezone.now()
        ticket = Ticket(
            **data,
            customer=customer,
            assignee=assignee,
            created_by=actor,
            created_at=created,
        )
        ticket.due_at = created + Ticket.SLA[ticket.priority]
        ticket.full_clean(exclude=["ticket_no", "created_at"])
        with history.tracked(ticket, actor, HistoryEntry.Action.CREATE):
            ticket.save()
        _notify_assignee(actor, ticket)
        return ticket


def ticket_update(
    *, actor, ticket: Ticket, data: dict, expected_version: int
) -> Ticket:
    """Edit subject, description, kind, priority, contact and custom fields.

    A priority change moves the due time to creation + the new SLA."""
    with transaction.atomic():
        _require(actor, ticket, "change")
        current = Ticket.lock_version(ticket.pk, expected_version)
        with history.tracked(current, actor):
            for field, value in data.items():
                setattr(current, field, value)
            _check_contact(current.customer, current.contact)
            current.due_at = current.created_at + Ticket.SLA[current.priority]
            current.full_clean(exclude=["ticket_no", "created_at"])
            current.version += 1
            current.save()
        return current


def ticket_assign(*, actor, ticket: Ticket, assignee, expected_version: int) -> Ticket:
    """Give the ticket to any active colleague (None: back to the pool).

    A colleague of another department sees and works the ticket through the
    assignee column from now on; they are notified."""
    with transaction.atomic():
        _require(actor, ticket, "change")
        if assignee is not None and not assignee.is_active:
            raise ValidationError(
                {
                    "assignee": _("%(user)s's account is disabled.")
                    % {"user": _name(assignee)}
                }
            )
        current = Ticket.lock_version(ticket.pk, expected_version)
        if current.assignee_id == getattr(assignee, "pk", None):
            return current
        with history.tracked(current, actor):
            current.assignee = assignee
            current.version += 1
            current.save()
        _notify_assignee(actor, current)
        return current


def ticket_transition(
    *,
    actor,
    ticket: Ticket,
    action: str,
    expected_version: int,
    resolution: str = "",
    satisfaction: int | None = None,
    at=None,
) -> Ticket:
    """Move the ticket one step along `TRANSITIONS`.

    Resolving needs the resolution; closing records the customer's
    satisfaction (1–5, or None when the customer gave none)."""
    with transaction.atomic():
        _require(actor, ticket, "change")
        current = Ticket.lock_version(ticket.pk, expected_version)
        step = check_transition(current, action)
        now = at or timezone.now()
        with history.tracked(current, actor):
            current.status = step.target
            if step.action == "resolve":
                resolution = (resolution or "").strip()
                if not resolution:
                    raise ValidationError(
                        {"resolution": _("Describe how the issue was resolved.")}
                    )
                current.resolution = resolution
                current.resolved_at = now
            elif step.action == "close":
                if satisfaction is not None and not 1 <= satisfaction <= 5:
                    raise ValidationError(
                        {"satisfaction": _("Choose a score from 1 to 5.")}
                    )
                current.satisfaction = satisfaction
                current.closed_at = now
            elif step.action == "reopen":
                current.resolved_at = None
                current.closed_at = None
                current.satisfaction = None
            current.version += 1
            current.save()
        return current


def ticket_comment(*, actor, ticket: Ticket, body: str) -> TicketComment:
    """A note on the timeline; the assignee, the opener and earlier commenters
    hear about it (never the author)."""
    with transaction.atomic():
        _require(actor, ticket, "comment")
        body = (body or "").strip()
        if not body:
            raise ValidationError({"body": _("Write a comment first.")})
        comment = TicketComment(ticket=ticket, author=actor, body=body)
        comment.full_clean()
        comment.save()
        ids = {ticket.assignee_id, ticket.created_by_id}
        ids |= set(ticket.comments.values_list("author_id", flat=True))
        notify(
            recipients=sorted(ids - {None}),
            kind="ticket_commented",
            actor=actor,
            target=ticket,
            url=ticket.get_absolute_url(),
            params={"ticket_no": ticket.ticket_no, "subject": ticket.subject},
        )
        return comment
