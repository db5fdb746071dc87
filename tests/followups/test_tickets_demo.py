"""seed_demo's tickets: every status and kind, some overdue, some pulled in."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from crm import history
from followups.models import Ticket, TicketComment


def test_demo_tickets_cover_the_loop(db):
    call_command("seed_demo", customers=20, password="demo-pass-1", stdout=StringIO())
    tickets = Ticket.objects.select_related("assignee")
    assert tickets.count() == 30
    assert set(tickets.values_list("status", flat=True)) == set(Ticket.Status)
    assert set(tickets.values_list("kind", flat=True)) == set(Ticket.Kind)
    now = timezone.now()
    overdue = tickets.overdue(now).count()
    assert 0 < overdue < tickets.open().count()
    pulled = {t.assignee.username for t in tickets if t.assignee}
    assert {"service"} < pulled and pulled & {"rep1", "rep2", "success"}
    for ticket in tickets.filter(status="closed"):
        assert ticket.closed_at and ticket.resolved_at and ticket.resolution
    assert tickets.filter(status="closed", satisfaction__isnull=False).exists()
    # Steps happened over time, not all at seeding time.
    oldest = min(t.created_at for t in tickets)
    assert (now - oldest).days > 20
    ticket = tickets.filter(status="closed").first()
    times = [e.at for e in history.entries_for(ticket).order_by("id")]
    assert times == sorted(times) and times[0] == ticket.created_at
    assert TicketComment.objects.exists()
    assert all(c.created_at >= c.ticket.created_at for c in TicketComment.objects.all())
    # Idempotent.
    call_command("seed_demo", customers=20, password="demo-pass-1", stdout=StringIO())
    assert Ticket.objects.count() == 30
