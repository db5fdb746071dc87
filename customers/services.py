"""Multi-step writes on customers; every one is atomic and leaves history.

Who may hold a customer follows the role rules on every path (create, edit,
reassign, share): an owner or a colleague with edit access must be a user
whose role may create customers, a success manager one whose role may look
after them. Every change of who holds or shares a customer is audited.
Each write is one `transaction.atomic()` block (not a decorator: mutmut, behind
`make mutate`, skips decorated functions).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import history, permissions
from crm import services as record_services
from crm.models import HistoryEntry, SecurityEvent
from notifications.services import notify

from .models import Contact, Customer, CustomerUserObjectPermission, Tag


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
        if current.owner_id != old_owner.pk:
            notify(
                recipients=[current.owner],
                kind="customer_reassigned",
                actor=actor,
                target=current,
                params={"customer": current.name},
            )
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


# Bulk writes touch up to settings.CRM_LIST_COUNT_CAP rows in a fixed number of
# statements, so `pk IN (...)` lists are cut to stay under SQLite's limit on
# query parameters.
BULK_CHUNK = 500


def _chunks(ids: list) -> list[list]:
    return [ids[i : i + BULK_CHUNK] for i in range(0, len(ids), BULK_CHUNK)]


def _lockable(customers):
    """`customers` as a primary-key subquery: a filtered list may be DISTINCT
    (a to-many filter), which PostgreSQL cannot lock FOR UPDATE."""
    return Customer.objects.filter(pk__in=customers.order_by().values("pk"))


def _bump_versions(ids: list, **values) -> None:
    """Set `values` on the customers `ids` (locked), one version up each."""
    now = timezone.now()
    for chunk in _chunks(ids):
        Customer.objects.filter(pk__in=chunk).update(
            version=F("version") + 1, updated_at=now, **values
        )


def _record_each(actor, action: str, rows: list[tuple[int, int, dict]]) -> None:
    """One history entry per (pk, new version, change)."""
    history.record_many(
        Customer,
        actor,
        action,
        ((pk, version, [change]) for pk, version, change in rows),
        batch_size=BULK_CHUNK,
    )


def _audit_each(actor, events: list[tuple[str, str]], **detail) -> None:
    """`history.audit` for each (kind, target): one INSERT, one log line each."""
    SecurityEvent.objects.bulk_create(
        [
            SecurityEvent(actor=actor, kind=kind, target=target, rows=1, detail=detail)
            for kind, target in events
        ],
        batch_size=BULK_CHUNK,
    )
    for kind, target in events:
        history.security_log.info(
            "%s by %s: %s (%s rows) %s", kind, actor.username, target, 1, detail
        )


def _drop_shares(user, ids: list, actions) -> None:
    """`permissions.revoke` of `user`'s own grants on the customers `ids`."""
    perms = [permissions.permission_id(Customer, action) for action in actions]
    for chunk in _chunks(ids):
        CustomerUserObjectPermission.objects.filter(
            user=user, content_object_id__in=chunk, permission_id__in=perms
        ).delete()


def customers_reassign(*, actor, customers, owner) -> int:
    """Give every customer in `customers` (already restricted) a new owner.

    A fixed number of statements whatever the count (a bulk bar may send ten
    thousand customers), with what `customer_update` leaves per customer: a
    history entry at the new version, the owner's access revoked from the old
    owner and granted to the new one as security events, and a share the new
    owner held dropped (it must not outlive the holding)."""
    with transaction.atomic():
        if not permissions.has_model_perm(actor, Customer, "reassign"):
            raise PermissionDenied
        if not permissions.may_be_given(owner, Customer, "add"):
            raise ValidationError(
                _("%(user)s's role cannot own customers; choose a sales colleague.")
                % {"user": _name(owner)}
            )
        rows = list(
            _lockable(customers)
            .exclude(owner=owner)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", "customer_no", "owner_id", "version")
        )
        ids = [pk for pk, *_rest in rows]
        old_owners = get_user_model().objects.in_bulk({row[2] for row in rows})
        _bump_versions(ids, owner=owner)
        _record_each(
            actor,
            HistoryEntry.Action.REASSIGN,
            [
                (
                    pk,
                    version + 1,
                    {"field": "owner", "old": str(old_owners[old]), "new": str(owner)},
                )
                for pk, _no, old, version in rows
            ],
        )
        events = []
        for _pk, no, old, _version in rows:
            events.append((SecurityEvent.Kind.REVOKE, f"{no} → {old_owners[old]}"))
            events.append((SecurityEvent.Kind.GRANT, f"{no} → {owner}"))
        _audit_each(actor, events, detail="owner")
        _drop_shares(owner, ids, ("view", "change"))
        _notify_new_owner(actor, owner, ids)
        return len(rows)


def _notify_new_owner(actor, owner, ids: list) -> None:
    """One notification for the whole batch: the customer itself when it is
    one, else how many, linking to the new owner's list."""
    if len(ids) == 1:
        customer = Customer.objects.only("pk", "customer_no", "name").get(pk=ids[0])
        notify(
            recipients=[owner],
            kind="customer_reassigned",
            actor=actor,
            target=customer,
            params={"customer": customer.name},
        )
    elif ids:
        notify(
            recipients=[owner],
            kind="customer_reassigned",
            actor=actor,
            url=f"{reverse('customers:customer_list')}?owner={owner.pk}",
            params={"count": len(ids)},
        )


def customers_tag(*, actor, customers, tag: Tag, add: bool) -> int:
    """Add or remove one tag on every customer in `customers` (restricted).

    Customers that already have (or lack) the tag are left as they are; each
    changed one gets a new version and a history entry. A fixed number of
    statements whatever the count."""
    with transaction.atomic():
        links = Customer.tags.through.objects
        has_tag = Exists(links.filter(customer_id=OuterRef("pk"), tag=tag))
        rows = list(
            _lockable(customers)
            .filter(~has_tag if add else has_tag)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", "version")
        )
        ids = [pk for pk, _version in rows]
        if add:
            links.bulk_create(
                [links.model(customer_id=pk, tag=tag) for pk in ids],
                batch_size=BULK_CHUNK,
            )
        else:
            for chunk in _chunks(ids):
                links.filter(customer_id__in=chunk, tag=tag).delete()
        _bump_versions(ids)
        change = {"field": "tags", "old": [], "new": [tag.name]}
        if not add:
            change = {"field": "tags", "old": [tag.name], "new": []}
        _record_each(
            actor,
            HistoryEntry.Action.UPDATE,
            [(pk, version + 1, change) for pk, version in rows],
        )
        return len(rows)


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
        notify(
            recipients=[user],
            kind="customer_shared",
            actor=actor,
            target=customer,
            params={"customer": customer.name},
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
