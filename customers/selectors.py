"""Reads about customers that several pages share (the services' other half)."""

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Q

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
