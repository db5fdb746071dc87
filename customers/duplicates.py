"""Likely duplicate customers: the warning before a create, and the
duplicates page (groups of customers sharing a credit code, a normalised
name, a contact phone or a contact e-mail).

Every match is an index lookup or an index-ordered GROUP BY: the credit code
(its unique index), `Customer.name_key` (a generated, indexed column), and
the contacts' phone and e-mail indexes. Trashed customers do not count: the
trash is the administrators' (a trashed customer's credit code still blocks
a new one through the unique constraint, which the form reports).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, Count, F, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from crm.parsing import normalize_email

from .models import Contact, Customer, name_key_of
from .validators import normalize_name

# The create warning names at most this many customers.
WARNING_LIMIT = 5


def warning_enabled() -> bool:
    return getattr(settings, "CRM_DUPLICATE_WARNING", True)


def similar_customers(
    *,
    name: str = "",
    credit_code: str = "",
    phones=(),
    emails=(),
    exclude_pk=None,
    limit: int = WARNING_LIMIT,
) -> list[Customer]:
    """Live customers sharing the credit code, the normalised name, or a
    contact's phone or e-mail with what is being entered, whoever may see
    them: the warning names them and their owner only (as the credit-code
    uniqueness error does), so two reps do not chase one company unknowingly.

    One UNION of index lookups for the ids, then one query for the rows."""
    live = Customer.objects.alive().order_by()
    branches = []
    name = normalize_name(name)
    if name:
        key = name_key_of(Value(name, output_field=CharField()))
        branches.append(live.filter(name_key=key).values("pk"))
    if credit_code:
        branches.append(live.filter(credit_code=credit_code).values("pk"))
    phones = sorted({p for p in phones if p})
    emails = sorted({normalize_email(e) for e in emails if e})
    contacts = Contact.objects.order_by().filter(customer__deleted_at__isnull=True)
    if phones:
        branches.append(contacts.filter(phone__in=phones).values("customer_id"))
    if emails:
        branches.append(contacts.filter(email__in=emails).values("customer_id"))
    if not branches:
        return []
    ids = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
    pks = [row["pk"] for row in ids.order_by()[: limit + 1]]
    if exclude_pk is not None:
        pks = [pk for pk in pks if pk != exclude_pk]
    return list(
        Customer.objects.filter(pk__in=pks[:limit])
        .select_related("owner")
        .only("pk", "customer_no", "name", "owner__username", "owner__first_name")
        .order_by("created_at", "pk")
    )


# The kinds of duplicate groups, in the order the page lists them.
KINDS = {
    "credit_code": _("Same unified social credit code"),
    "name": _("Same name"),
    "phone": _("Same contact phone"),
    "email": _("Same contact e-mail"),
}


@dataclass
class Group:
    kind: str
    key: str
    count: int
    members: list

    @property
    def label(self):
        return KINDS[self.kind]


def group_rows(customers):
    """(kind, key, n) of every group of more than one of `customers` (those the
    user may view) sharing a value: one UNION of GROUP BY … HAVING COUNT > 1
    queries, ordered, for the paginator to count and slice."""
    customers = customers.order_by()
    contacts = Contact.objects.order_by().filter(customer__in=customers.values("pk"))

    def grouped(rows, column, kind, counted):
        return (
            rows.exclude(**{column: ""})
            .values(key=Cast(F(column), CharField()))
            .annotate(kind=Value(kind, output_field=CharField()))
            .annotate(n=Count(counted, distinct=True))
            .filter(n__gt=1)
            .values_list("kind", "key", "n")
        )

    parts = [
        grouped(customers, "credit_code", "credit_code", "pk"),
        grouped(customers, "name_key", "name", "pk"),
        grouped(contacts, "phone", "phone", "customer_id"),
        grouped(contacts, "email", "email", "customer_id"),
    ]
    return parts[0].union(*parts[1:], all=True).order_by("kind", "key")


def groups_for_page(rows, customers) -> list[Group]:
    """The members of a page of `group_rows`: one query per kind on the page,
    whatever the number of groups."""
    rows = list(rows)
    by_kind: dict[str, list[str]] = {}
    for kind, key, _n in rows:
        by_kind.setdefault(kind, []).append(key)
    base = customers.select_related("owner").order_by("created_at", "pk")
    members: dict[tuple[str, str], list] = {}
    for kind, keys in by_kind.items():
        if kind == "credit_code":
            found = base.filter(credit_code__in=keys).annotate(match=F("credit_code"))
        elif kind == "name":
            found = base.filter(name_key__in=keys).annotate(match=F("name_key"))
        else:
            # A customer with two contacts sharing the value appears once.
            column = f"contacts__{kind}"
            found = (
                base.filter(**{f"{column}__in": keys})
                .annotate(match=F(column))
                .distinct()
            )
        for customer in found:
            members.setdefault((kind, customer.match), []).append(customer)
    return [Group(kind, key, n, members.get((kind, key), [])) for kind, key, n in rows]
