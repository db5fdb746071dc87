"""The customer module's workbench panels (registered in CustomersConfig.ready).

Which panels a user gets follows from their role's permissions, never its
name: whoever may reassign any customer (admins, managers) sees the team's
figures; whoever may own customers (reps) their own; whoever may look after
customers (customer success) the accounts they manage; a role with none of
these (customer service: every customer, read-only) a way to find a customer
and what changed lately. Each panel returns None to hide itself.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from crm import permissions

from . import selectors
from .models import Customer


def _may(user, action: str) -> bool:
    return permissions.has_model_perm(user, Customer, action)


def _sees_team(user) -> bool:
    return _may(user, "reassign")


def _renewal_rows(customers, today) -> list[Customer]:
    """The customers, each with `days_left` until its renewal."""
    rows = list(customers)
    for c in rows:
        c.days_left = (c.renewal_date - today).days
    return rows


def _renewal_range(today) -> tuple[datetime.date, datetime.date]:
    return today, today + datetime.timedelta(days=settings.CRM_RENEWAL_WINDOW_DAYS)


def team(request) -> dict | None:
    """Team figures over every customer the user may see, for team leads."""
    user = request.user
    if not _sees_team(user):
        return None
    cap = settings.CRM_LIST_COUNT_CAP
    today = timezone.localdate()
    customers = Customer.objects.for_user(user, "view")
    month_start, month_end = selectors.month_bounds(today)
    start, end = _renewal_range(today)
    due = selectors.renewals_due(customers, start=start, end=end)
    return {
        "status_counts": selectors.status_counts(customers, cap),
        "new_this_month": selectors.capped_count(
            selectors.created_between(customers, month_start, month_end), cap
        ),
        "renewals_count": selectors.capped_count(due, cap),
        "renewals": _renewal_rows(due[:10], today),
        "owners": selectors.owner_figures(customers, start=month_start, end=month_end),
        "count_cap": cap,
        "renewal_window": settings.CRM_RENEWAL_WINDOW_DAYS,
    }


def my_customers(request) -> dict | None:
    """The customers the user owns, for roles that own customers.

    A team lead gets it only when they own some: their team figures say the
    rest, and an empty "my customers" above them misleads."""
    user = request.user
    if not _may(user, "add"):
        return None
    if _sees_team(user) and not selectors.owned_by(user).exists():
        return None
    cap = settings.CRM_LIST_COUNT_CAP
    status_counts = selectors.status_counts(selectors.owned_by(user), cap)
    owned = sum(count for _value, _label, count in status_counts)
    if owned > cap:
        # A user sees every customer they own, so past the cap already: no
        # need to scan for the ones shared with them or that they look after.
        visible_count = owned
    else:
        visible_count = selectors.capped_count(
            Customer.objects.for_user(user, "view"), cap
        )
    return {
        "status_counts": status_counts,
        "visible_count": visible_count,
        "count_cap": cap,
        "recent": selectors.owned_by(user)
        .select_related("region")
        .order_by("-updated_at", "-id")[:8],
    }


def managed(request) -> dict | None:
    """The accounts a customer success manager looks after."""
    user = request.user
    if not _may(user, "manage_success"):
        return None
    accounts = selectors.managed_by(user)
    if _sees_team(user) and not accounts.exists():
        return None
    cap = settings.CRM_LIST_COUNT_CAP
    status_counts = selectors.status_counts(accounts, cap)
    return {
        "status_counts": status_counts,
        "total": sum(count for _value, _label, count in status_counts),
        "count_cap": cap,
        "recent": accounts.select_related("owner").order_by("-updated_at", "-id")[:8],
    }


def renewals(request) -> dict | None:
    """Renewals of the customers the user owns or looks after.

    Team leads see the whole team's renewals in their team panel instead."""
    user = request.user
    if _sees_team(user) or not (_may(user, "add") or _may(user, "manage_success")):
        return None
    today = timezone.localdate()
    start, end = _renewal_range(today)
    due = selectors.renewals_due_for(user, start=start, end=end)
    return {
        "renewals": _renewal_rows(due[:10], today),
        "renewal_window": settings.CRM_RENEWAL_WINDOW_DAYS,
    }


def lookup(request) -> dict | None:
    """Finding a customer, for roles that hold none themselves.

    Customer service sees every customer read-only and answers calls: what
    they need first is the caller's record (the search finds a contact by
    their whole phone number even where numbers are masked), then what
    changed lately. Their ticket queue is a panel of the service module."""
    user = request.user
    if _may(user, "add") or _may(user, "manage_success") or _sees_team(user):
        return None
    cap = settings.CRM_LIST_COUNT_CAP
    visible = Customer.objects.for_user(user, "view")
    return {
        "visible_count": selectors.capped_count(visible, cap),
        "count_cap": cap,
        "recent": visible.select_related("owner", "region").order_by(
            "-updated_at", "-id"
        )[:8],
    }
