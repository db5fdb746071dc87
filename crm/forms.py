"""Form machinery shared by every record.

Versioned edits merge instead of overwrite. A form of a `VersionedModel` takes
`VersionedFormMixin`: besides the version the edit started from it carries a
signed snapshot of the values it was loaded with (every field, many-to-many
fields as sorted ids, custom fields, and the rows of the view's formsets by
id). When someone else saved meanwhile, `merge()` compares what the user
submitted and what is stored now against that snapshot: a field only one side
changed takes that side's value, and a field both changed to different values
is a conflict the user settles ("keep mine" / "take theirs") before saving.
Values are compared in `canon()` form, which is also what the snapshot holds.
"""

import datetime
from decimal import Decimal

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SALT = "crm.forms.loaded"
VERSION, LOADED = "version", "loaded"
MINE, THEIRS = "mine", "theirs"
CHOICE_PREFIX = "merge-"
FIELD, DELETED_BY_THEM, DELETED_BY_ME = "field", "deleted-by-them", "deleted-by-me"
_UNKNOWN = object()


def canon(value):
    """A JSON-safe value that compares equal when the form would save the same.

    Initial values (pks, instances, dates, decimals) and cleaned values meet
    here: `Decimal("0.00")` and `Decimal("0")` agree, so do `False`, `None`
    and `""`. Lists are sorted, so the order of ticked boxes does not matter.
    The result is also what the form field accepts as submitted data."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or value is False or value == "":
        return ""
    if value is True:
        return True
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return sorted((canon(v) for v in value), key=str) or ""
    return str(value)


def _compared(form) -> list[str]:
    return [name for name in form.fields if name not in (VERSION, LOADED)]


def _submitted(form, name):
    """The cleaned value, or (for a form that failed) the field's own reading."""
    if name in getattr(form, "cleaned_data", {}):
        return canon(form.cleaned_data[name])
    bound = form[name]
    try:
        return canon(bound.field.clean(bound.data))
    except ValidationError:
        return canon(bound.data)


def initial_values(form) -> dict:
    return {
        name: canon(form.get_initial_for_field(form.fields[name], name))
        for name in _compared(form)
    }


def submitted_values(form) -> dict:
    return {name: _submitted(form, name) for name in _compared(form)}


def _row_fields(formset) -> list[str]:
    skip = {formset.model._meta.pk.name, "DELETE", "ORDER"}
    if getattr(formset, "fk", None) is not None:
        skip.add(formset.fk.name)
    return [name for name in formset.empty_form.fields if name not in skip]


def initial_rows(formset) -> dict:
    """{id: {field: value}} of the rows an unbound formset shows."""
    names = _row_fields(formset)
    return {
        str(form.instance.pk): {
            n: canon(form.get_initial_for_field(form.fields[n], n)) for n in names
        }
        for form in formset.initial_forms
    }


def submitted_rows(formset) -> tuple[dict, list[dict]]:
    """({id: values, or None when ticked for deletion}, [values of new rows]).

    Read from the posted ids, not the formset's validation: a row someone
    else deleted meanwhile is exactly what the merge must still see."""
    names, pk_name = _row_fields(formset), formset.model._meta.pk.name
    rows, new = {}, []
    for i, form in enumerate(formset.forms):
        deleted = formset.can_delete and _submitted(form, "DELETE") is True
        values = {n: _submitted(form, n) for n in names}
        pk = formset.data.get(form.add_prefix(pk_name), "")
        if i < formset.initial_form_count() and pk:
            rows[str(pk)] = None if deleted else values
        elif form.has_changed() and not deleted:
            new.append(values)
    return rows, new


def as_initial(fields, values: dict) -> dict:
    """Canonical values as initial values of `fields` (an empty list stays a list)."""
    return {
        name: [] if value == "" and _multiple(fields.get(name)) else value
        for name, value in values.items()
    }


def _multiple(field) -> bool:
    return getattr(getattr(field, "widget", None), "allow_multiple_selected", False)


def display(field, value) -> str:
    """A canonical value as the user reads it: choice labels, Yes/No, empty."""
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return gettext("Yes") if value is True else gettext("No")
    if value == "":
        return gettext("(empty)")
    values = value if isinstance(value, list) else [value]
    if getattr(field, "choices", None) is not None:
        labels = {}
        for key, label in field.choices:
            if isinstance(label, list | tuple):
                labels.update({str(k): str(text) for k, text in label})
            else:
                labels[str(key)] = str(label)
        values = [labels.get(v, v) for v in values]
    return "、".join(str(v) for v in values)


def row_text(form, values: dict | None, mask=None) -> str:
    if values is None:
        return gettext("(deleted)")
    parts = []
    for name, value in values.items():
        if value in ("", True, False):
            continue
        parts.append(display(form.fields[name], value))
    text = " ".join(parts) or gettext("(empty)")
    return mask(text) if mask else text


def merge_values(loaded, mine: dict, theirs: dict) -> tuple[dict, list[str]]:
    """(values to show, names of conflicts), field by field.

    `loaded` None means the form did not say what it was loaded with (a page
    older than this mechanism): every difference is then a conflict, so
    nothing is overwritten unseen."""
    merged, conflicts = {}, []
    for name, cur in theirs.items():
        sub = mine.get(name, cur)
        old = _UNKNOWN if loaded is None else loaded.get(name, _UNKNOWN)
        if sub == cur or (old is not _UNKNOWN and sub == old):
            merged[name] = cur
        elif old is not _UNKNOWN and cur == old:
            merged[name] = sub
        else:
            merged[name] = sub
            conflicts.append(name)
    return merged, conflicts


class RowPlan:
    """How a formset is shown after a merge: values per existing row, rows
    ticked for deletion, new rows, and the conflicts found."""

    def __init__(self):
        self.rows, self.delete, self.new, self.conflicts = {}, set(), [], []

    def apply(self, formset) -> None:
        """Put the plan into an unbound formset built on the current record."""
        formset.extra = len(self.new) + 1
        fields = formset.empty_form.fields
        formset.initial_extra = [as_initial(fields, v) for v, _key in self.new]
        for form in formset.initial_forms:
            pk = str(form.instance.pk)
            form.initial.update(as_initial(form.fields, self.rows.get(pk, {})))
            if pk in self.delete:
                form.initial["DELETE"] = True


def merge_rows(loaded, mine: tuple[dict, list], theirs: dict) -> RowPlan:
    """Per row id, per field; a row one side deleted and the other changed is a
    conflict: keep it (as a new row when they deleted it) or drop it."""
    mine_rows, mine_new = mine
    plan = RowPlan()
    for pk, cur in theirs.items():
        old = None if loaded is None else loaded.get(pk)
        if pk not in mine_rows:  # added by them
            continue
        sub = mine_rows[pk]
        if sub is None:
            plan.delete.add(pk)
            if old is None or cur != old:
                plan.conflicts.append({"kind": DELETED_BY_ME, "id": pk})
            continue
        plan.rows[pk], names = merge_values(old, sub, cur)
        plan.conflicts += [{"kind": FIELD, "id": pk, "field": n} for n in names]
    for pk, sub in mine_rows.items():
        if pk in theirs or sub is None:
            continue
        old = None if loaded is None else loaded.get(pk)
        if old is not None and sub == old:
            continue  # they deleted it, the user did not touch it: stays deleted
        key = {"kind": DELETED_BY_THEM, "id": pk, "index": len(plan.new)}
        plan.new.append((sub, key))
        plan.conflicts.append(key)
    plan.new += [(values, None) for values in mine_new]
    return plan


class VersionedFormMixin:
    """A ModelForm of a `VersionedModel` that carries what it was loaded with.

    Put it before `forms.ModelForm`. Adds the hidden `version` and `loaded`
    fields; the view (`crm.views.StaleEditMixin`) signs the snapshot, merges
    a stale submission and applies the user's choices on conflicts.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[VERSION] = forms.IntegerField(
            widget=forms.HiddenInput, required=False
        )
        self.fields[LOADED] = forms.CharField(widget=forms.HiddenInput, required=False)
        if self.instance.pk:
            self.initial[VERSION] = self.instance.version

    def sign_loaded(self, formsets: dict, conflicts: dict | None = None) -> None:
        """Sign what this unbound form (and its formsets) shows as `loaded`."""
        data = {
            "pk": str(self.instance.pk),
            "fields": initial_values(self),
            "rows": {name: initial_rows(fs) for name, fs in formsets.items()},
            "conflicts": conflicts or {},
        }
        self.initial[LOADED] = signing.dumps(data, salt=SALT, compress=True)

    def loaded_data(self) -> dict | None:
        """The snapshot the submitted form was loaded with, if genuine and of
        this record."""
        raw = self.data.get(self.add_prefix(LOADED)) if self.is_bound else None
        if not raw:
            return None
        try:
            data = signing.loads(raw, salt=SALT)
        except signing.BadSignature:
            return None
        return data if data.get("pk") == str(self.instance.pk) else None


CHOOSE_MESSAGE = _("Choose whether to keep your value or take theirs.")
