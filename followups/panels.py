"""The follow-up module's workbench panel and its card on a customer's page
(registered in FollowupsConfig.ready)."""

from crm import permissions

from . import selectors
from .models import FollowUp

PANEL_ROWS = 8


def _plans_anyone_could_own(user) -> bool:
    # Plans are owned by colleagues who log follow-ups (the form offers only
    # them); a role without that (customer service) has no agenda.
    return permissions.has_model_perm(user, FollowUp, "add")


def agenda(request) -> dict | None:
    """My plans overdue, due today and in the next days, the first few."""
    user = request.user
    if not _plans_anyone_could_own(user):
        return None
    data = selectors.agenda(user, limit=selectors.AGENDA_LIMIT)
    if not data.count and permissions.has_model_perm(user, FollowUp, "change"):
        # Team leads follow the team's work elsewhere; an empty "my agenda"
        # above their figures only takes room.
        return None
    rows = [(key, plan) for key, plans in data.sections for plan in plans]
    return {
        "agenda": data,
        "rows": rows[:PANEL_ROWS],
        "overdue": len(data.overdue),
        "due_today": len(data.due_today),
        "upcoming": len(data.upcoming),
        "more": data.count > PANEL_ROWS,
    }


def customer_followups(request, customer) -> dict:
    """The customer's follow-up timeline (newest first) and who may log one."""
    user = request.user
    rows, more = selectors.timeline(user, customer)
    return {
        "customer": customer,
        "followups": rows,
        "more": more,
        "can_add": permissions.has_model_perm(user, FollowUp, "add"),
    }


def agenda_badge(user) -> int:
    """The navigation's count: my plans overdue or due today."""
    if not _plans_anyone_could_own(user):
        return 0
    return selectors.due_count(user)
