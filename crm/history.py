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
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware, localtime
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


def record_many(model, actor, action: str, rows, batch_size: int = 1000) -> None:
    """`record` for many rows of `model` at once: `rows` are (pk, version,
    changes) and go in one INSERT per batch (bulk reassign, tag merges)."""
    content_type = ContentType.objects.get_for_model(model)
    HistoryEntry.objects.bulk_create(
        [
            HistoryEntry(
                content_type=content_type,
                object_id=str(pk),
                actor=actor,
                action=action,
                changes=list(changes),
                version=version,
            )
            for pk, version, changes in rows
        ],
        batch_size=batch_size,
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
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        # Stored as ISO in UTC; shown in the site's time zone, to the minute.
        moment = parse_datetime(value)
        if moment is not None:
            moment = localtime(moment) if is_aware(moment) else moment
            return moment.strftime("%Y-%m-%d %H:%M")
    return _text(value)


def _user_names(entries) -> dict[str, str]:
    """{username: "Full Name（username）"} of the colleagues shares name, in one
    query; shares store the username, which stays readable if the user is gone."""
    from django.contrib.auth import get_user_model

    usernames = {
        change.get("label", "")
        for entry in entries
        for change in entry.changes
        if change.get("field") == "share"
    } - {""}
    if not usernames:
        return {}
    users = get_user_model().objects.filter(username__in=usernames)
    return {
        u.username: f"{u.get_full_name()}（{u.username}）"
        if u.get_full_name()
        else u.username
        for u in users
    }


def _share_sentence(entry, change, names: dict, model) -> str:
    user = change.get("label", "")
    user = names.get(user, user)
    item = model._meta.verbose_name
    if entry.action == HistoryEntry.Action.UNSHARE:
        return _("Took back %(user)s's access to the %(item)s") % {
            "user": user,
            "item": item,
        }
    level = {"view": _("View"), "change": _("View and edit")}
    new = change.get("new")
    return _("Shared the %(item)s with %(user)s, access: %(level)s") % {
        "item": item,
        "user": user,
        "level": level.get(new, _text(new)),
    }


def _related_rows(old: list, new: list, related, mask) -> list[dict]:
    """A list of related rows (a customer's contacts) changed: one row per
    related record, with `parts` [{label, old, new}] per changed field.

    Records are stored as {id, field: raw value}; an edit is the old record
    removed and the new one added under the same id."""
    removed = {item.get("id"): item for item in old}
    added = {item.get("id"): item for item in new}
    item_name = related._meta.verbose_name
    show = mask or (lambda value: value)
    # In the model's field order: PostgreSQL's jsonb keeps no key order.
    order = {f.name: i for i, f in enumerate(related._meta.fields)}
    stored = [*removed.values(), *added.values()][0]
    fields = sorted((f for f in stored if f != "id"), key=lambda f: order.get(f, 99))

    def text(key, value):
        try:
            field = related._meta.get_field(key)
        except FieldDoesNotExist:
            return str(key), _text(value)
        return str(field.verbose_name), show(_field_text(field, value))

    rows = []
    for pk in [*removed, *(pk for pk in added if pk not in removed)]:
        before, after = removed.get(pk), added.get(pk)
        shown = show((after or before).get("name", "") or "")
        if before and after:
            label = _("%(item)s %(name)s") % {"item": item_name, "name": shown}
            keys = [f for f in fields if before.get(f) != after.get(f)]
        elif after:
            label = _("New %(item)s %(name)s") % {"item": item_name, "name": shown}
            keys = [
                f
                for f in fields
                if f != "name" and not _empty(after.get(f)) and after[f] is not False
            ]
        else:
            label = _("Removed %(item)s %(name)s") % {"item": item_name, "name": shown}
            keys = []
        parts = []
        for key in keys:
            field_label, old_text = text(key, (before or {}).get(key))
            new_text = text(key, (after or {}).get(key))[1]
            parts.append(
                {
                    "label": field_label,
                    "old": old_text if before and after else "",
                    "new": new_text,
                }
            )
        rows.append(
            {
                "label": label,
                "old": "",
                "new": "",
                "parts": parts,
                "related": "changed"
                if before and after
                else "added"
                if after
                else "removed",
            }
        )
    return rows


def _is_records(value) -> bool:
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def present(entries, model, *, mask=None) -> list[HistoryEntry]:
    """Give each entry `rows`: [{label, old, new}] in the reader's language.

    A share gives the entry a `sentence` as well ("Shared the customer with
    张三（rep2）, access: View"); a change of related records (contacts) gives
    one row per record with its changed fields in `parts`. `mask`, when
    given, is applied to contact details the reader may not see."""
    from .customfields import display, fields_for

    entries = list(entries)
    target = getattr(model, "custom_field_target", "")
    custom = {cf.key: cf for cf in fields_for(target)} if target else {}
    names = _user_names(entries)
    related_model = getattr(model, "history_related_model", lambda name: None)
    for entry in entries:
        rows = []
        entry.sentence = ""
        for change in entry.changes:
            name, old, new = change["field"], change.get("old"), change.get("new")
            label = change.get("label", name)
            private = mask is not None and name in model.private_history_fields
            related = related_model(name)
            if related is not None and (_is_records(old) or _is_records(new)):
                rows += _related_rows(
                    old or [], new or [], related, mask if private else None
                )
                continue
            if name.startswith(CUSTOM_PREFIX) and name[3:] in custom:
                cf = custom[name[3:]]
                label, old, new = cf.label, display(cf, old), display(cf, new)
            elif name == "share":
                entry.sentence = _share_sentence(entry, change, names, model)
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
            if private:
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
