"""Multi-step writes on customers; every one is atomic and leaves history."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import history, permissions, roles
from crm.customfields import display, fields_for
from crm.models import CustomField, HistoryEntry, SecurityEvent

from .models import Contact, Customer, Tag

OWNER_ACTIONS = ("view", "change")
TRACKED_FIELDS = (
    "name",
    "credit_code",
    "type",
    "industry",
    "size",
    "region",
    "city",
    "address",
    "level",
    "status",
    "first_cooperation_date",
    "historical_amount",
    "products",
    "owner",
    "success_manager",
    "renewal_date",
)


class StaleEdit(Exception):
    """The record changed since the editor loaded it; nothing was saved."""

    def __init__(self, current: Customer, entries):
        self.current = current
        self.entries = entries
        super().__init__(current.customer_no)


@dataclass
class ContactData:
    """A contact as a form or import hands it over; `id` names an existing one."""

    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False
    note: str = ""
    id: int | None = None


def _contacts_text(contacts) -> list[str]:
    return [
        " ".join(
            p
            for p in (
                ("★" if c.is_primary else "") + c.name,
                c.title,
                c.phone,
                c.email,
                c.note,
            )
            if p
        )
        for c in contacts
    ]


def customer_snapshot(customer: Customer) -> dict:
    extra = {
        "tags": (_("tags"), sorted(t.name for t in customer.tags.all())),
        "contacts": (_("contacts"), _contacts_text(customer.contacts.all())),
    }
    for cf in fields_for(CustomField.Target.CUSTOMER):
        extra[f"cf_{cf.key}"] = (cf.label, display(cf, customer.custom.get(cf.key)))
    return history.snapshot(customer, TRACKED_FIELDS, extra)


def _save_contacts(customer: Customer, contacts: list[ContactData]) -> None:
    if contacts and not any(c.is_primary for c in contacts):
        contacts[0].is_primary = True
    if sum(c.is_primary for c in contacts) > 1:
        raise ValidationError(_("Mark only one contact as the primary contact."))
    # Update in place so contact ids stay stable for other open edit forms;
    # primaries are cleared first so the one-primary constraint holds throughout.
    existing = {c.pk: c for c in customer.contacts.all()}
    keep = {c.id for c in contacts if c.id in existing}
    customer.contacts.exclude(pk__in=keep).delete()
    customer.contacts.filter(is_primary=True).update(is_primary=False)
    fields = [f for f in vars(ContactData(name="")) if f != "id"]
    for data in contacts:
        values = {f: getattr(data, f) for f in fields}
        if data.id in keep:
            contact = existing[data.id]
            for f, v in values.items():
                setattr(contact, f, v)
            contact.save()
        else:
            Contact.objects.create(customer=customer, **values)


def _grant_owner(customer: Customer, user) -> None:
    permissions.grant(user, customer, OWNER_ACTIONS)


def _grant_success_manager(customer: Customer, user) -> None:
    permissions.grant(user, customer, ("view", "renew"))


@transaction.atomic
def customer_create(
    *, actor, data: dict, tags=(), contacts: list[ContactData] = ()
) -> Customer:
    customer = Customer(**data, created_by=actor)
    customer.full_clean(exclude=["customer_no", "created_at"])
    customer.save()
    customer.tags.set(tags)
    _save_contacts(customer, list(contacts))
    _grant_owner(customer, customer.owner)
    if customer.success_manager_id:
        _grant_success_manager(customer, customer.success_manager)
    history.record(
        customer,
        actor,
        HistoryEntry.Action.CREATE,
        history.diff({}, customer_snapshot(customer)),
        version=customer.version,
    )
    return customer


def customer_check_version(*, customer: Customer, expected_version: int) -> None:
    """Raise StaleEdit when `customer` (as in the database) moved past the version."""
    current = Customer.objects.only("version").get(pk=customer.pk)
    if current.version != expected_version:
        current = Customer.objects.get(pk=customer.pk)
        entries = history.entries_for(current).filter(version__gt=expected_version)
        raise StaleEdit(current, list(entries))


@transaction.atomic
def customer_update(
    *,
    actor,
    customer: Customer,
    data: dict,
    expected_version: int,
    tags=None,
    contacts: list[ContactData] | None = None,
) -> Customer:
    """Apply `data` if nobody saved the customer since `expected_version`."""
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if current.version != expected_version:
        raise StaleEdit(
            current,
            list(history.entries_for(current).filter(version__gt=expected_version)),
        )
    before = customer_snapshot(current)
    old_owner, old_manager = current.owner, current.success_manager
    for field, value in data.items():
        setattr(current, field, value)
    current.full_clean(exclude=["customer_no", "created_at"])
    current.version += 1
    current.save()
    if tags is not None:
        current.tags.set(tags)
    if contacts is not None:
        _save_contacts(current, list(contacts))
    _move_grants(current, old_owner, old_manager)
    changes = history.diff(before, customer_snapshot(current))
    if changes:
        history.record(
            current, actor, HistoryEntry.Action.UPDATE, changes, current.version
        )
    return current


def _move_grants(customer: Customer, old_owner, old_manager) -> None:
    if customer.owner_id != old_owner.pk:
        permissions.revoke(old_owner, customer, OWNER_ACTIONS)
        _grant_owner(customer, customer.owner)
    if customer.success_manager_id != getattr(old_manager, "pk", None):
        if old_manager is not None:
            permissions.revoke(old_manager, customer, ("view", "renew"))
        if customer.success_manager_id:
            _grant_success_manager(customer, customer.success_manager)


@transaction.atomic
def customer_update_renewal(
    *, actor, customer: Customer, renewal_date, expected_version: int
) -> Customer:
    return customer_update(
        actor=actor,
        customer=customer,
        data={"renewal_date": renewal_date},
        expected_version=expected_version,
    )


@transaction.atomic
def customers_reassign(*, actor, customers, owner) -> int:
    """Give every customer in `customers` (already restricted) a new owner."""
    if not permissions.has_model_perm(actor, Customer, "reassign"):
        raise PermissionDenied
    changed = 0
    for customer in customers.select_for_update().select_related("owner"):
        if customer.owner_id == owner.pk:
            continue
        old_owner = customer.owner
        customer.owner = owner
        customer.version += 1
        customer.save(update_fields=["owner", "version", "updated_at"])
        _move_grants(customer, old_owner, customer.success_manager)
        history.record(
            customer,
            actor,
            HistoryEntry.Action.REASSIGN,
            [
                {
                    "field": "owner",
                    "label": str(Customer._meta.get_field("owner").verbose_name),
                    "old": str(old_owner),
                    "new": str(owner),
                }
            ],
            customer.version,
        )
        changed += 1
    return changed


@transaction.atomic
def customers_tag(*, actor, customers, tag: Tag, add: bool) -> int:
    """Add or remove one tag on every customer in `customers` (restricted)."""
    changed = 0
    label = str(Customer._meta.get_field("tags").verbose_name)
    for customer in customers.select_for_update().prefetch_related("tags"):
        names = sorted(t.name for t in customer.tags.all())
        has = tag.name in names
        if has == add:
            continue
        new = sorted({*names, tag.name}) if add else [n for n in names if n != tag.name]
        if add:
            customer.tags.add(tag)
        else:
            customer.tags.remove(tag)
        customer.version += 1
        customer.save(update_fields=["version", "updated_at"])
        history.record(
            customer,
            actor,
            HistoryEntry.Action.UPDATE,
            [
                {
                    "field": "tags",
                    "label": label,
                    "old": history.display_value(names),
                    "new": history.display_value(new),
                }
            ],
            customer.version,
        )
        changed += 1
    return changed


def shares(customer: Customer) -> list[tuple]:
    """[(user, "view" | "change")] for colleagues the customer is shared with."""
    result = []
    for user, perms in permissions.users_with_object_perms(customer).items():
        if user.pk in (customer.owner_id, customer.success_manager_id):
            continue
        level = "change" if "change_customer" in perms else "view"
        result.append((user, level))
    return sorted(result, key=lambda pair: pair[0].username)


@transaction.atomic
def customer_share(*, actor, customer: Customer, user, level: str) -> None:
    if level not in ("view", "change"):
        raise ValidationError(_("Choose view or edit access."))
    if user.pk == customer.owner_id:
        raise ValidationError(_("The owner already has full access."))
    if level == "change" and not roles.can_be_given_edit(user):
        raise ValidationError(
            _("%(user)s's role cannot edit customers; share view access instead.")
            % {"user": user.get_full_name() or user.username}
        )
    permissions.revoke(user, customer, ("view", "change"))
    actions = ("view", "change") if level == "change" else ("view",)
    permissions.grant(user, customer, actions)
    history.record(
        customer,
        actor,
        HistoryEntry.Action.SHARE,
        [{"field": "share", "label": str(user), "old": "", "new": level}],
        customer.version,
    )
    history.audit(
        actor,
        SecurityEvent.Kind.GRANT,
        f"{customer.customer_no} → {user.username}",
        detail=level,
    )


@transaction.atomic
def customer_unshare(*, actor, customer: Customer, user) -> None:
    if user.pk == customer.owner_id:
        raise ValidationError(_("The owner's access cannot be removed."))
    permissions.revoke(user, customer, ("view", "change"))
    history.record(
        customer,
        actor,
        HistoryEntry.Action.UNSHARE,
        [{"field": "share", "label": str(user), "old": "", "new": ""}],
        customer.version,
    )
    history.audit(
        actor, SecurityEvent.Kind.REVOKE, f"{customer.customer_no} → {user.username}"
    )


@transaction.atomic
def customer_delete(*, actor, customer: Customer) -> None:
    customer.deleted_at = timezone.now()
    customer.deleted_by = actor
    customer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    history.record(customer, actor, HistoryEntry.Action.DELETE, (), customer.version)
    history.audit(actor, SecurityEvent.Kind.DELETE, customer.customer_no)


@transaction.atomic
def customer_restore(*, actor, customer: Customer) -> None:
    customer.deleted_at = None
    customer.deleted_by = None
    customer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    history.record(customer, actor, HistoryEntry.Action.RESTORE, (), customer.version)
    history.audit(actor, SecurityEvent.Kind.RESTORE, customer.customer_no)


@transaction.atomic
def customer_purge(*, actor, customer: Customer) -> None:
    """Delete a trashed customer for good, with its contacts and grants."""
    no = customer.customer_no
    history.entries_for(customer).delete()
    customer.delete()
    history.audit(actor, SecurityEvent.Kind.PURGE, no)


def assignable_users():
    return get_user_model().objects.filter(is_active=True).order_by("username")
