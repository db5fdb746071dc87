"""Field-level change history and the security audit log.

Changes are stored as field names and raw values (choice codes, ISO dates,
plain decimals, the names of related records) and turned into labels when
shown, in the reader's language (NetBox's change logging): a change made in
Chinese reads in English for an English reader. Services wrap a write in
`tracked(obj, actor)`, which records the diff of the model's tracked fields,
many-to-many fields, custom fields and `history_extra()`.
"""

import logging
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from .models import HistoryEntry, SecurityEvent

security_log = logging.getLogger("crm.security")

CUSTOM_PREFIX = "cf:"


def raw_value(obj: models.Model, name: str):
    """A JSON-safe value of field `name` as stored, not as displayed."""
    field = obj._meta.get_field(name)
    if field.is_relation:
        related = getattr(obj, name)
        return str(related) if related is not None else ""
    value = getattr(obj, name)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(obj) -> dict:
    """{name: raw value} of everything the record's history tracks."""
    from .customfields import fields_for

    data = {name: raw_value(obj, name) for name in obj.tracked_fields}
    for name in obj.tracked_m2m:
        data[name] = sorted(str(o) for o in getattr(obj, name).all())
    target = getattr(obj, "custom_field_target", "")
    if target:
        for cf in fields_for(target):
            data[CUSTOM_PREFIX + cf.key] = obj.custom.get(cf.key)
    data.update(obj.history_extra())
    return data


def _empty(value) -> bool:
    return value in (None, "", [])


def diff(before: dict, after: dict) -> list[dict]:
    """Changed fields as {field, old, new}; for lists, the items removed → added."""
    changes = []
    for name, new in after.items():
        old = before.get(name)
        if isinstance(new, list) or isinstance(old, list):
            old, new = old or [], new or []
            removed = [item for item in old if item not in new]
            added = [item for item in new if item not in old]
            if removed or added:
                changes.append({"field": name, "old": removed, "new": added})
        elif old != new and not (_empty(old) and _empty(new)):
            changes.append({"field": name, "old": old, "new": new})
    return changes


def record(obj: models.Model, actor, action: str, changes=(), version: int = 0):
    return HistoryEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        actor=actor,
        action=action,
        changes=list(changes),
        version=version,
    )


@contextmanager
def tracked(obj, actor, action: str = HistoryEntry.Action.UPDATE):
    """Record what the block changes on `obj` as one history entry.

    A creation is recorded with every value it was given; an update only when
    something changed. Use inside the service's transaction."""
    before = snapshot(obj) if obj.pk else {}
    yield
    changes = diff(before, snapshot(obj))
    if changes or action != HistoryEntry.Action.UPDATE:
        record(obj, actor, action, changes, getattr(obj, "version", 0))


def entries_for(obj: models.Model):
    return HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


def _text(value) -> str:
    if _empty(value):
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return "、".join(_text(v) for v in value)
    return str(value)


def _field_text(field, value) -> str:
    if isinstance(value, list):
        return "、".join(_field_text(field, v) for v in value)
    if field.choices and not _empty(value):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DecimalField) and isinstance(value, str):
        try:
            return f"{Decimal(value):,.2f}"
        except InvalidOperation:
            return value  # an entry written before raw values were stored
    return _text(value)


def present(entries, model, *, mask=None) -> list[HistoryEntry]:
    """Give each entry `rows`: [{label, old, new}] in the reader's language.

    `mask`, when given, is applied to contact details the reader may not see."""
    from .customfields import display, fields_for

    target = getattr(model, "custom_field_target", "")
    custom = {cf.key: cf for cf in fields_for(target)} if target else {}
    for entry in entries:
        rows = []
        for change in entry.changes:
            name, old, new = change["field"], change.get("old"), change.get("new")
            label = change.get("label", name)
            if name.startswith(CUSTOM_PREFIX) and name[3:] in custom:
                cf = custom[name[3:]]
                label, old, new = cf.label, display(cf, old), display(cf, new)
            elif name == "share":
                level = {"view": _("View"), "change": _("View and edit")}
                label = _("Access of %(user)s") % {"user": change.get("label", "")}
                old, new = level.get(old, _text(old)), level.get(new, _text(new))
            else:
                try:
                    field = model._meta.get_field(name)
                    label = str(field.verbose_name)
                except (FieldDoesNotExist, AttributeError):
                    # Not a field of the record (contacts, a removed field).
                    label = model.history_label(name) or label
                    old, new = _text(old), _text(new)
                else:
                    old, new = _field_text(field, old), _field_text(field, new)
            if mask is not None and name in model.private_history_fields:
                old, new = mask(old), mask(new)
            rows.append({"label": label, "old": old, "new": new})
        entry.rows = rows
    return entries


def audit(actor, kind: str, target: str, rows: int = 1, **detail) -> SecurityEvent:
    event = SecurityEvent.objects.create(
        actor=actor, kind=kind, target=target, rows=rows, detail=detail
    )
    security_log.info(
        "%s by %s: %s (%s rows) %s",
        kind,
        getattr(actor, "username", "-"),
        target,
        rows,
        detail or "",
    )
    return event
