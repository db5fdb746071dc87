"""Field-level change history and the security audit log.

Services take a `snapshot()` of a record before and after a write and call
`record()`; only the fields whose displayed value changed are stored.
"""

import logging
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from .models import HistoryEntry, SecurityEvent

security_log = logging.getLogger("crm.security")


def display_value(value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "、".join(display_value(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def snapshot(obj: Model, fields, extra: dict | None = None) -> dict:
    """{field name: (label, displayed value)} for the given model fields.

    `extra` values that are lists (tags, contacts) stay lists of displayed
    items, so a diff can name just the items removed and added.
    """
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.choices:
            value = getattr(obj, f"get_{name}_display")()
        else:
            value = getattr(obj, name)
        data[name] = (str(field.verbose_name), display_value(value))
    for name, (label, value) in (extra or {}).items():
        if isinstance(value, list | tuple):
            data[name] = (str(label), [display_value(v) for v in value])
        else:
            data[name] = (str(label), display_value(value))
    return data


def diff(before: dict, after: dict) -> list[dict]:
    """Changed fields as old → new; for lists, the items removed → added."""
    changes = []
    for name, (label, new) in after.items():
        old = before.get(name, (label, [] if isinstance(new, list) else ""))[1]
        if isinstance(new, list):
            removed = [item for item in old if item not in new]
            added = [item for item in new if item not in old]
            old, new = display_value(removed), display_value(added)
            if not (removed or added):
                continue
        if old != new:
            changes.append({"field": name, "label": label, "old": old, "new": new})
    return changes


def record(obj: Model, actor, action: str, changes=(), version: int = 0):
    return HistoryEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        actor=actor,
        action=action,
        changes=list(changes),
        version=version,
    )


def entries_for(obj: Model):
    return HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


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
