"""Reads about customers that several pages share (the services' other half)."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Count, Q
from django.utils import timezone

from crm import permissions

from .models import Customer


def assignable_users():
    """Every active colleague, e.g. to share a customer with (view access)."""
    return get_user_model().objects.filter(is_active=True).order_by("username")


def owner_candidates():
    """Colleagues who may own (and be given edit access to) customers."""
    return permissions.users_with_model_perm(Customer, "add").order_by("username")


def success_manager_candidates():
    """Colleagues whose role looks after customers (客户成功)."""
    return permissions.users_with_model_perm(Customer, "manage_success").order_by(
        "username"
    )


def shares(customer: Customer) -> list[tuple]:
    """[(user, "view" | "change")] for colleagues the customer is shared with."""
    result = []
    for user, perms in permissions.users_with_object_perms(customer).items():
        if user.pk in (customer.owner_id, customer.success_manager_id):
            continue
        level = "change" if "change_customer" in perms else "view"
        result.append((user, level))
    return sorted(result, key=lambda pair: pair[0].username)


def owned_by(user):
    """The customers `user` owns, from the owner column alone (no grant lookup)."""
    return Customer.objects.owned_by(user)


def status_counts(customers, cap: int) -> list[tuple]:
    """[(status, label, count)] of `customers`, every status listed, each
    counted up to cap + 1 like `capped_count`, in one query.

    A rep owns a third of a million customers; GROUP BY status would read
    every one of them, where each capped count stops after cap + 1 entries of
    the (owner, status) index."""
    parts, params = [], []
    for value in Customer.Status.values:
        capped = customers.filter(status=value).order_by().values("pk")[: cap + 1]
        sql, sql_params = capped.query.sql_with_params()
        parts.append(f"SELECT %s, COUNT(*) FROM ({sql}) capped")
        params += [value, *sql_params]
    with connections[customers.db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        counts = dict(cursor.fetchall())
    return [
        (value, label, counts.get(value, 0)) for value, label in Customer.Status.choices
    ]


def renewals_due_for(user, *, start, end):
    """Customers `user` owns or looks after whose renewal falls in [start, end]."""
    return (
        Customer.objects.alive()
        .filter(
            Q(owner=user) | Q(success_manager=user), renewal_date__range=(start, end)
        )
        .select_related("owner")
        .order_by("renewal_date", "id")
    )


def capped_count(customers, cap: int) -> int:
    """The number of rows, counted up to cap + 1 (a million rows are not worth it)."""
    return customers.order_by().values("pk")[: cap + 1].count()


def bulk_actions(user) -> tuple[str, ...]:
    """The bulk actions the customer list offers `user`, from the role's grants.

    Tagging needs edit access: roles that may edit every customer, and roles
    that may own customers (a rep edits their own, and what is shared with
    them for edit, which only such roles can be given). Reassigning needs the
    reassign grant. Customer service (view only) and customer success (renewal
    dates only) get none, so their list has no bulk bar and no checkboxes."""
    may_edit = permissions.has_model_perm(
        user, Customer, "change"
    ) or permissions.has_model_perm(user, Customer, "add")
    if not may_edit:
        return ()
    tagging = ("add_tag", "remove_tag")
    if permissions.has_model_perm(user, Customer, "reassign"):
        return ("reassign", *tagging)
    return tagging


def managed_by(user):
    """The customers `user` looks after as success manager (column alone)."""
    return Customer.objects.alive().filter(success_manager=user)


def renewals_due(customers, *, start, end):
    """`customers` whose renewal falls in [start, end], soonest first."""
    return (
        customers.filter(renewal_date__range=(start, end))
        .select_related("owner")
        .order_by("renewal_date", "id")
    )


def month_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[first instant of `day`'s month, first instant of the next) in the site's
    time zone, so "new this month" is the month the team lives in."""
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=zone),
    )


@dataclass(frozen=True)
class OwnerFigures:
    """One row of the team table: an owner and their customers."""

    user: object
    customers: int
    new_this_month: int


def created_between(customers, start, end):
    return customers.filter(created_at__gte=start, created_at__lt=end)


def owner_figures(customers, *, start, end) -> list[OwnerFigures]:
    """Per owner of `customers`: how many, and how many created in [start, end).

    Two GROUP BYs on the owner column, whatever the number of owners: every
    live customer by owner (index-only on the (owner, status) index), and
    this month's by owner (a range of the created_at index). The users are
    read in one more query; owners are listed by customers, most first."""
    totals = dict(
        customers.order_by()
        .values_list("owner")
        .annotate(n=Count("pk"))
        .values_list("owner", "n")
    )
    new = dict(
        created_between(customers, start, end)
        .order_by()
        .values_list("owner")
        .annotate(n=Count("pk"))
        .values_list("owner", "n")
    )
    users = get_user_model().objects.in_bulk(list(totals))
    rows = [
        OwnerFigures(users[pk], n, new.get(pk, 0))
        for pk, n in totals.items()
        if pk in users
    ]
    return sorted(rows, key=lambda r: (-r.customers, r.user.username))
