"""Ticket services: SLA due times, the transition table, assignment, comments."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm import history
from crm.features import StaleEdit
from followups import ticket_services as services
from followups.models import Ticket
from notifications.models import Notification
from tests import factories

S = Ticket.Status


@pytest.fixture
def ticket(users, rep1_customer):
    return factories.make_ticket(users["service"], rep1_customer)


def move(ticket, actor, action, **extra):
    return services.ticket_transition(
        actor=actor,
        ticket=ticket,
        action=action,
        expected_version=ticket.version,
        **extra,
    )


@pytest.mark.parametrize(
    "priority, hours",
    [("urgent", 4), ("high", 24), ("medium", 72), ("low", 168)],
)
def test_open_sets_due_from_the_priority_sla(users, rep1_customer, priority, hours):
    created = timezone.now() - timedelta(days=2)
    ticket = factories.make_ticket(
        users["service"], rep1_customer, priority=priority, created_at=created
    )
    assert ticket.due_at == created + timedelta(hours=hours)
    assert ticket.ticket_no.startswith("S") and ticket.status == S.NEW
    assert history.entries_for(ticket).get().action == "create"


def test_open_refuses_a_contact_of_another_customer(
    users, rep1_customer, rep2_customer
):
    foreign = rep2_customer.contacts.get()
    with pytest.raises(ValidationError) as exc:
        factories.make_ticket(users["service"], rep1_customer, contact=foreign)
    assert "contact" in exc.value.message_dict
    assert not Ticket.objects.exists()


def test_open_refuses_a_customer_the_actor_may_not_see(users, rep2_customer):
    # rep1 cannot see rep2's customer (the view would 404 first).
    with pytest.raises(PermissionDenied):
        factories.make_ticket(users["rep1"], rep2_customer)
    assert not Ticket.objects.exists()


def test_priority_change_recomputes_due_from_creation(users, ticket):
    updated = services.ticket_update(
        actor=users["service"],
        ticket=ticket,
        data={"priority": "urgent"},
        expected_version=ticket.version,
    )
    assert updated.due_at == ticket.created_at + timedelta(hours=4)
    entry = history.entries_for(updated).first()
    assert {c["field"] for c in entry.changes} == {"priority", "due_at"}


def test_a_stale_edit_is_refused(users, ticket):
    services.ticket_update(
        actor=users["service"],
        ticket=ticket,
        data={"subject": "先改的"},
        expected_version=ticket.version,
    )
    with pytest.raises(StaleEdit):
        services.ticket_update(
            actor=users["admin"],
            ticket=ticket,
            data={"subject": "后改的"},
            expected_version=ticket.version,
        )
    assert Ticket.objects.get().subject == "先改的"


def test_the_whole_flow_and_reopen(users, ticket):
    service = users["service"]
    ticket = move(ticket, service, "start")
    assert ticket.status == S.IN_PROGRESS
    ticket = move(ticket, service, "wait")
    assert ticket.status == S.WAITING
    ticket = move(ticket, service, "resume")
    ticket = move(ticket, service, "resolve", resolution="重置了密码")
    assert ticket.status == S.RESOLVED and ticket.resolved_at is not None
    ticket = move(ticket, service, "close", satisfaction=4)
    assert ticket.status == S.CLOSED
    assert ticket.satisfaction == 4 and ticket.closed_at is not None
    ticket = move(ticket, service, "reopen")
    # Reopening clears the resolution's time stamps and score, keeps its text.
    stored = Ticket.objects.get()
    assert stored.status == S.IN_PROGRESS
    assert (stored.resolved_at, stored.closed_at, stored.satisfaction) == (
        None,
        None,
        None,
    )
    assert stored.resolution == "重置了密码"
    statuses = [
        c["new"]
        for e in history.entries_for(stored).order_by("at", "id")
        for c in e.changes
        if c["field"] == "status"
    ]
    assert statuses == [
        "new",
        "in_progress",
        "waiting",
        "in_progress",
        "resolved",
        "closed",
        "in_progress",
    ]


@pytest.mark.parametrize(
    "status, action",
    [
        (S.NEW, "resolve"),
        (S.NEW, "close"),
        (S.NEW, "reopen"),
        (S.IN_PROGRESS, "close"),
        (S.IN_PROGRESS, "resume"),
        (S.WAITING, "wait"),
        (S.RESOLVED, "start"),
        (S.CLOSED, "resolve"),
        (S.CLOSED, "close"),
        (S.NEW, "bogus"),
    ],
)
def test_an_illegal_transition_is_refused_and_nothing_saved(
    users, ticket, status, action
):
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    entries = history.entries_for(ticket).count()
    with pytest.raises(ValidationError) as exc:
        move(ticket, users["service"], action, resolution="x", satisfaction=3)
    assert "cannot be moved" in exc.value.messages[0] or "不能" in str(exc.value)
    stored = Ticket.objects.get()
    assert (stored.status, stored.version) == (status, ticket.version)
    assert history.entries_for(ticket).count() == entries


def test_resolve_needs_a_resolution(users, ticket):
    ticket = move(ticket, users["service"], "start")
    with pytest.raises(ValidationError) as exc:
        move(ticket, users["service"], "resolve", resolution="   ")
    assert "resolution" in exc.value.message_dict
    assert Ticket.objects.get().status == S.IN_PROGRESS


def test_close_refuses_a_score_outside_1_to_5(users, ticket):
    ticket = move(ticket, users["service"], "start")
    ticket = move(ticket, users["service"], "resolve", resolution="好了")
    with pytest.raises(ValidationError):
        move(ticket, users["service"], "close", satisfaction=6)
    assert Ticket.objects.get().status == S.RESOLVED
    closed = move(ticket, users["service"], "close", satisfaction=None)
    assert closed.status == S.CLOSED and closed.satisfaction is None


def test_transitions_from_lists_only_legal_steps():
    actions = {s: [t.action for t in services.transitions_from(s)] for s in S}
    assert actions == {
        S.NEW: ["start"],
        S.IN_PROGRESS: ["wait", "resolve"],
        S.WAITING: ["resume", "resolve"],
        S.RESOLVED: ["close", "reopen"],
        S.CLOSED: ["reopen"],
    }


def test_a_role_that_may_only_view_cannot_move_a_ticket(users, ticket):
    for role in ("manager", "rep1", "success"):
        with pytest.raises(PermissionDenied):
            move(ticket, users[role], "start")
    assert Ticket.objects.get().status == S.NEW


def test_assigning_pulls_a_colleague_in_and_notifies_them(users, ticket):
    rep2 = users["rep2"]
    assert not Ticket.objects.for_user(rep2).exists()
    assigned = services.ticket_assign(
        actor=users["service"],
        ticket=ticket,
        assignee=rep2,
        expected_version=ticket.version,
    )
    # rep2 does not see the customer, but works the ticket now.
    assert Ticket.objects.for_user(rep2, "change").filter(pk=ticket.pk).exists()
    assert Ticket.objects.for_user(rep2, "comment").filter(pk=ticket.pk).exists()
    note = Notification.objects.get(recipient=rep2)
    assert note.kind == "ticket_assigned"
    assert note.url == assigned.get_absolute_url()
    assert note.params["ticket_no"] == ticket.ticket_no
    # The same assignee again changes nothing and notifies nobody.
    services.ticket_assign(
        actor=users["service"],
        ticket=assigned,
        assignee=rep2,
        expected_version=assigned.version,
    )
    assert Notification.objects.count() == 1


def test_assigning_oneself_notifies_nobody(users, ticket):
    services.ticket_assign(
        actor=users["service"],
        ticket=ticket,
        assignee=users["service"],
        expected_version=ticket.version,
    )
    assert not Notification.objects.exists()


def test_a_comment_notifies_assignee_opener_and_commenters_not_the_author(
    users, rep1_customer
):
    ticket = factories.make_ticket(
        users["admin"], rep1_customer, assignee=users["service"]
    )
    Notification.objects.all().delete()
    services.ticket_comment(actor=users["service"], ticket=ticket, body="先看一下")
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "admin"
    }
    Notification.objects.all().delete()
    rep1_customer.success_manager = users["success"]
    rep1_customer.save()
    services.ticket_comment(actor=users["success"], ticket=ticket, body="客户很着急")
    notified = Notification.objects.filter(kind="ticket_commented")
    assert set(notified.values_list("recipient__username", flat=True)) == {
        "admin",
        "service",
    }
    assert ticket.comments.count() == 2


def test_comment_needs_the_comment_action(users, ticket):
    # A sales rep reads their customer's tickets but does not comment.
    with pytest.raises(PermissionDenied):
        services.ticket_comment(actor=users["rep1"], ticket=ticket, body="hi")
    with pytest.raises(ValidationError):
        services.ticket_comment(actor=users["service"], ticket=ticket, body="  ")
    assert not ticket.comments.exists()


def test_open_and_overdue_querysets(users, rep1_customer):
    now = timezone.now()
    late = factories.make_ticket(
        users["service"],
        rep1_customer,
        priority="urgent",
        created_at=now - timedelta(hours=5),
    )
    fresh = factories.make_ticket(users["service"], rep1_customer, priority="low")
    assert set(Ticket.objects.overdue(now)) == {late}
    assert late.is_overdue and not fresh.is_overdue
    late = move(late, users["service"], "start")
    late = move(late, users["service"], "resolve", resolution="好了")
    assert not Ticket.objects.overdue(now).exists()
    assert set(Ticket.objects.open()) == {fresh}
