"""Multi-step writes on customers; every one is atomic and leaves history.

Who may hold a customer follows the role rules on every path (create, edit,
reassign, share): an owner or a colleague with edit access must be a user
whose role may create customers, a success manager one whose role may look
after them. Every change of who holds or shares a customer is audited.
Each write is one `transaction.atomic()` block (not a decorator: mutmut, behind
`make mutate`, skips decorated functions).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm import history, permissions
from crm import services as record_services
from crm.models import HistoryEntry, SecurityEvent

from .models import Contact, Customer, Tag


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
        contact = existing[data.id] if data.id in keep else Contact(customer=customer)
        for f, v in values.items():
            setattr(contact, f, v)
        # The model's own rules (phone normalised, lengths) on every path; the
        # one-primary rule was checked above and the database constraint holds.
        contact.full_clean(exclude=["customer"], validate_constraints=False)
        contact.save()


def _check_holders(customer: Customer, old_owner_id=None, old_manager_id=None):
    """The owner may edit customers and the success manager look after them.

    Checked when either changes, so legacy rows stay editable."""
    errors = {}
    if customer.owner_id != old_owner_id and not permissions.may_be_given(
        customer.owner, Customer, "add"
    ):
        errors["owner"] = _(
            "%(user)s's role cannot own customers; choose a sales colleague."
        ) % {"user": _name(customer.owner)}
    manager = customer.success_manager
    if (
        manager is not None
        and customer.success_manager_id != old_manager_id
        and not permissions.may_be_given(manager, Customer, "manage_success")
    ):
        errors["success_manager"] = _(
            "%(user)s's role does not look after customers; choose a customer "
            "success colleague."
        ) % {"user": _name(manager)}
    if errors:
        raise ValidationError(errors)


def _name(user) -> str:
    return user.get_full_name() or user.username


def _audit_holders(actor, customer: Customer, old_owner, old_manager) -> None:
    """Security events for who gained and lost access with the holder columns."""
    no = customer.customer_no
    changes = [
        ("owner", old_owner, customer.owner),
        ("success_manager", old_manager, customer.success_manager),
    ]
    for role, old, new in changes:
        if getattr(old, "pk", None) == getattr(new, "pk", None):
            continue
        if old is not None:
            history.audit(
                actor, SecurityEvent.Kind.REVOKE, f"{no} → {old}", detail=role
            )
        if new is not None:
            history.audit(actor, SecurityEvent.Kind.GRANT, f"{no} → {new}", detail=role)
            # A share of the new holder is redundant now, and must not outlive
            # the holding (a reassigned owner keeps no access through it).
            permissions.revoke(new, customer, ("view", "change"))


def customer_create(
    *, actor, data: dict, tags=(), contacts: list[ContactData] = ()
) -> Customer:
    with transaction.atomic():
        customer = Customer(**data, created_by=actor)
        _check_holders(customer)
        customer.full_clean(exclude=["customer_no", "created_at"])
        with history.tracked(customer, actor, HistoryEntry.Action.CREATE):
            customer.save()
            customer.tags.set(tags)
            _save_contacts(customer, list(contacts))
        _audit_holders(actor, customer, None, None)
        return customer


def customer_check_version(*, customer: Customer, expected_version: int) -> None:
    """Raise StaleEdit when `customer` (as in the database) moved past the version."""
    customer.check_version(expected_version)


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
    with transaction.atomic():
        current = Customer.lock_version(customer.pk, expected_version)
        old_owner, old_manager = current.owner, current.success_manager
        with history.tracked(current, actor):
            for field, value in data.items():
                setattr(current, field, value)
            _check_holders(current, old_owner.pk, getattr(old_manager, "pk", None))
            current.full_clean(exclude=["customer_no", "created_at"])
            current.version += 1
            current.save()
            if tags is not None:
                current.tags.set(tags)
            if contacts is not None:
                _save_contacts(current, list(contacts))
        _audit_holders(actor, current, old_owner, old_manager)
        return current


def customer_update_renewal(
    *, actor, customer: Customer, renewal_date, expected_version: int
) -> Customer:
    return customer_update(
        actor=actor,
        customer=customer,
        data={"renewal_date": renewal_date},
        expected_version=expected_version,
    )


def customers_reassign(*, actor, customers, owner) -> int:
    """Give every customer in `customers` (already restricted) a new owner."""
    with transaction.atomic():
        if not permissions.has_model_perm(actor, Customer, "reassign"):
            raise PermissionDenied
        if not permissions.may_be_given(owner, Customer, "add"):
            raise ValidationError(
                _("%(user)s's role cannot own customers; choose a sales colleague.")
                % {"user": _name(owner)}
            )
        changed = 0
        for customer in customers.select_for_update(of=("self",)).select_related(
            "owner", "success_manager"
        ):
            if customer.owner_id == owner.pk:
                continue
            old_owner = customer.owner
            customer.owner = owner
            customer.version += 1
            customer.save(update_fields=["owner", "version", "updated_at"])
            history.record(
                customer,
                actor,
                HistoryEntry.Action.REASSIGN,
                [{"field": "owner", "old": str(old_owner), "new": str(owner)}],
                customer.version,
            )
            _audit_holders(actor, customer, old_owner, customer.success_manager)
            changed += 1
        return changed


def customers_tag(*, actor, customers, tag: Tag, add: bool) -> int:
    """Add or remove one tag on every customer in `customers` (restricted)."""
    with transaction.atomic():
        changed = 0
        for customer in customers.select_for_update().prefetch_related("tags"):
            has = any(t.pk == tag.pk for t in customer.tags.all())
            if has == add:
                continue
            if add:
                customer.tags.add(tag)
            else:
                customer.tags.remove(tag)
            customer.version += 1
            customer.save(update_fields=["version", "updated_at"])
            change = {"field": "tags", "old": [], "new": [tag.name]}
            if not add:
                change = {"field": "tags", "old": [tag.name], "new": []}
            history.record(
                customer, actor, HistoryEntry.Action.UPDATE, [change], customer.version
            )
            changed += 1
        return changed


def customer_share(*, actor, customer: Customer, user, level: str) -> None:
    with transaction.atomic():
        if level not in ("view", "change"):
            raise ValidationError(_("Choose view or edit access."))
        if user.pk == customer.owner_id:
            raise ValidationError(_("The owner already has full access."))
        if level == "change" and not permissions.may_be_given(user, Customer, "add"):
            raise ValidationError(
                _("%(user)s's role cannot edit customers; share view access instead.")
                % {"user": _name(user)}
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


def customer_unshare(*, actor, customer: Customer, user) -> None:
    with transaction.atomic():
        if user.pk == customer.owner_id:
            raise ValidationError(_("The owner's access cannot be removed."))
        if user.pk == customer.success_manager_id:
            raise ValidationError(
                _(
                    "%(user)s is this customer's success manager; choose another "
                    "success manager in the customer's form instead."
                )
                % {"user": _name(user)}
            )
        permissions.revoke(user, customer, ("view", "change"))
        history.record(
            customer,
            actor,
            HistoryEntry.Action.UNSHARE,
            [{"field": "share", "label": str(user), "old": "", "new": ""}],
            customer.version,
        )
        history.audit(
            actor,
            SecurityEvent.Kind.REVOKE,
            f"{customer.customer_no} → {user.username}",
        )


def customer_delete(*, actor, customer: Customer) -> None:
    record_services.record_soft_delete(actor=actor, record=customer)


def customer_restore(*, actor, customer: Customer) -> None:
    record_services.record_restore(actor=actor, record=customer)


def customer_purge(*, actor, customer: Customer) -> None:
    """Delete a trashed customer for good, with its contacts and grants."""
    record_services.record_purge(actor=actor, record=customer)
