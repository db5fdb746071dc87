"""Merging two customers that are one company (the duplicates page, DESIGN §5).

`merge_customers` keeps one record and moves everything of the other onto it
in one transaction: contacts, follow-ups, tickets, opportunities (every model
with a foreign key to the customer), tags (union), shares (de-duplicated),
history (re-pointed, plus a "merged from" entry) and notifications. The
dropped customer is then removed and its customer ID becomes a
`CustomerAlias`, so its old address leads to the kept customer. Its own
values are kept in the security event that audits the merge.

Field values: the user picks, per field that differs, the kept customer's or
the dropped one's. The historical cooperation amount defaults to the sum of
both (each already counts its own won deals, and the deals move with it, so
a later revert of a moved win subtracts from the right total); the user may
pick either amount instead.
"""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from crm import history, permissions
from crm.features import StaleEdit
from crm.models import HistoryEntry, SecurityEvent

from . import services
from .models import (
    Customer,
    CustomerAlias,
    CustomerGroupObjectPermission,
    CustomerUserObjectPermission,
)

KEEP, DROP, SUM = "keep", "drop", "sum"
# The fields a merge offers a choice for: what the customer form edits.
MERGE_FIELDS = Customer.tracked_fields
GRANT_TABLES = (
    (CustomerUserObjectPermission, "user_id"),
    (CustomerGroupObjectPermission, "group_id"),
)
# Rows that point at a customer but are not its records: moved on their own
# (grants, de-duplicated) or not shown as moved (the IDs merged into it).
SPECIAL_TABLES = (CustomerUserObjectPermission, CustomerGroupObjectPermission)


def _empty(value) -> bool:
    return value in (None, "", [], {})


def field_value(customer: Customer, name: str):
    """The raw value of a merge field (`cf:key` for a custom field)."""
    if name.startswith(history.CUSTOM_PREFIX):
        return customer.custom.get(name[len(history.CUSTOM_PREFIX) :])
    field = Customer._meta.get_field(name)
    return getattr(customer, field.attname)


def differing_fields(keep: Customer, drop: Customer, custom_keys=()) -> list[str]:
    names = [*MERGE_FIELDS, *(history.CUSTOM_PREFIX + key for key in custom_keys)]
    return [
        name
        for name in names
        if (field_value(keep, name) != field_value(drop, name) or _summed(drop, name))
        and not (_empty(field_value(keep, name)) and _empty(field_value(drop, name)))
    ]


def _summed(drop: Customer, name: str) -> bool:
    """The amounts are a choice even when equal: the sum differs from both."""
    return name == "historical_amount" and bool(drop.historical_amount)


def default_choice(keep: Customer, drop: Customer, name: str) -> str:
    """What the merge form offers first: the kept customer's value, unless it
    is empty; the sum of the amounts; the earlier first cooperation; a
    closed-won status if either has one."""
    if name == "historical_amount":
        return SUM
    mine, theirs = field_value(keep, name), field_value(drop, name)
    if _empty(mine):
        return DROP
    if _empty(theirs):
        return KEEP
    if name == "first_cooperation_date":
        return DROP if theirs < mine else KEEP
    if name == "status" and theirs == Customer.Status.ACTIVE:
        return DROP
    return KEEP


def _check_access(actor, keep: Customer, drop: Customer) -> None:
    if not permissions.has_model_perm(actor, Customer, "merge"):
        raise PermissionDenied
    changeable = Customer.objects.for_user(actor, "change").filter(
        pk__in=[keep.pk, drop.pk]
    )
    if changeable.count() != 2:
        raise PermissionDenied


def _lock(keep: Customer, drop: Customer, keep_version: int, drop_version: int):
    """Both rows locked (in primary-key order), or StaleEdit when either moved
    on since the merge page was loaded."""
    rows = Customer.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk])
    locked = {c.pk: c for c in rows.order_by("pk")}
    if len(locked) != 2 or any(c.deleted_at for c in locked.values()):
        raise ValidationError(_("One of these customers is no longer there."))
    for pk, version in ((keep.pk, keep_version), (drop.pk, drop_version)):
        current = locked[pk]
        if current.version != version:
            raise StaleEdit(current, current.history_since(version))
    return locked[keep.pk], locked[drop.pk]


def _move_rows(keep: Customer, drop: Customer) -> dict[str, int]:
    """Every row pointing at `drop` through a foreign key now points at `keep`
    (contacts, follow-ups, tickets, opportunities, and whatever module adds
    one later); grants and aliases are handled on their own."""
    moved = {}
    if keep.contacts.filter(is_primary=True).exists():
        # One primary contact per customer: the kept one's stays primary.
        drop.contacts.filter(is_primary=True).update(is_primary=False)
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_many or model in SPECIAL_TABLES:
            continue
        name = relation.field.name
        count = model._base_manager.filter(**{name: drop}).update(**{name: keep})
        moved[model._meta.label_lower] = count
    return moved


def _move_grants(keep: Customer, drop: Customer) -> int:
    """Shares of `drop` become shares of `keep`, except those `keep` already
    has (deleted) and those of its owner, who holds it through the column."""
    moved = 0
    for table, holder in GRANT_TABLES:
        rows = table.objects.filter(content_object=drop)
        same = table.objects.filter(
            content_object=keep,
            permission_id=OuterRef("permission_id"),
            **{holder: OuterRef(holder)},
        )
        rows.filter(Exists(same)).delete()
        moved += rows.update(content_object=keep)
    owner_perms = [
        permissions.permission_id(Customer, action) for action in ("view", "change")
    ]
    CustomerUserObjectPermission.objects.filter(
        content_object=keep, user_id=keep.owner_id, permission_id__in=owner_perms
    ).delete()
    return moved


def _repoint_generic(keep: Customer, drop: Customer) -> int:
    """History entries and notifications that name `drop` by id."""
    from notifications.models import Notification

    content_type = ContentType.objects.get_for_model(Customer)
    entries = HistoryEntry.objects.filter(
        content_type=content_type, object_id=str(drop.pk)
    ).update(object_id=str(keep.pk))
    Notification.objects.filter(target_type=content_type, target_id=drop.pk).update(
        target_id=keep.pk
    )
    return entries


def merge_customers(
    *,
    actor,
    keep: Customer,
    drop: Customer,
    keep_version: int,
    drop_version: int,
    choices: dict[str, str] | None = None,
) -> Customer:
    """Merge `drop` into `keep`; `choices` maps a differing field to KEEP or
    DROP (SUM for the historical amount); a field left out takes
    `default_choice`. Both customers must be changeable by `actor`, whose
    role must merge customers; a version moved on since the page was loaded
    raises StaleEdit and nothing changes."""
    choices = choices or {}
    with transaction.atomic():
        if keep.pk == drop.pk:
            raise ValidationError(_("Choose two different customers."))
        _check_access(actor, keep, drop)
        keep, drop = _lock(keep, drop, keep_version, drop_version)
        custom_keys = sorted(set(keep.custom) | set(drop.custom))
        values = {}
        for name in differing_fields(keep, drop, custom_keys):
            choice = choices.get(name) or default_choice(keep, drop, name)
            if name == "historical_amount" and choice == SUM:
                values[name] = (keep.historical_amount or Decimal(0)) + (
                    drop.historical_amount or Decimal(0)
                )
            elif choice == DROP:
                values[name] = field_value(drop, name)
        dropped = history.snapshot(drop)
        dropped.pop("contacts", None)
        drop_no, drop_version_now = drop.customer_no, drop.version
        old_owner, old_manager = keep.owner, keep.success_manager
        with history.tracked(keep, actor, HistoryEntry.Action.MERGE):
            moved = _move_rows(keep, drop)
            tags = list(drop.tags.all())
            keep.tags.add(*tags)
            entries = _repoint_generic(keep, drop)
            grants = _move_grants(keep, drop)
            if drop.last_followup_at and (
                keep.last_followup_at is None
                or drop.last_followup_at > keep.last_followup_at
            ):
                keep.last_followup_at = drop.last_followup_at
            Customer._base_manager.filter(pk=drop.pk).delete()
            CustomerAlias.objects.create(
                customer_no=drop_no, customer=keep, merged_by=actor
            )
            for name, value in values.items():
                if name.startswith(history.CUSTOM_PREFIX):
                    keep.custom[name[len(history.CUSTOM_PREFIX) :]] = value
                else:
                    setattr(keep, Customer._meta.get_field(name).attname, value)
            services._check_holders(
                keep, old_owner.pk, getattr(old_manager, "pk", None)
            )
            keep.full_clean(exclude=["customer_no", "created_at"])
            keep.version = max(keep.version, drop_version_now) + 1
            keep.save()
        # The "merged from" line, on the entry the block just recorded.
        entry = history.entries_for(keep).filter(version=keep.version).first()
        entry.changes.append(
            {"field": "merged_from", "old": "", "new": f"{drop_no} {drop.name}"}
        )
        entry.save(update_fields=["changes"])
        keep.refresh_from_db()
        # The merged-away customer's owner keeps working what they brought
        # (their follow-ups and deals are on this record now): an edit share,
        # or a view share where their role cannot edit customers.
        if drop.owner_id != keep.owner_id and drop.owner.is_active:
            level = (
                "change"
                if permissions.may_be_given(drop.owner, Customer, "add")
                else "view"
            )
            services.customer_share(
                actor=actor, customer=keep, user=drop.owner, level=level
            )
        services._audit_holders(actor, keep, old_owner, old_manager)
        history.audit(
            actor,
            SecurityEvent.Kind.MERGE,
            f"{drop_no} → {keep.customer_no}",
            rows=1 + sum(moved.values()),
            moved={**moved, "history": entries, "grants": grants, "tags": len(tags)},
            dropped=dropped,
        )
        return keep
