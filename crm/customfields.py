"""Admin-defined custom fields: form fields, filters, list columns and display.

Values live in the target model's `custom` JSON column, keyed by CustomField.key,
stored as JSON-native values (dates and decimals as strings). A model gets
custom fields by having that column and a `custom_field_target` class attribute;
its ModelForm and FilterSet take `CustomFieldsFormMixin` and
`CustomFieldsFilterSetMixin`, its pages `detail_values()` and `list_cells()`.

An administrator may change a field's type or choices after values were
stored. A stored value the field can no longer hold ("unfit", see `fits()`) is
never converted or dropped behind the user's back: it is shown as it is,
flagged, and kept until someone enters a new value for that field.
"""

import datetime
import json
import re
from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .fields import AmountField, DateField
from .models import CustomField
from .widgets import DateInput

T = CustomField.Type
TEXT_MAX_LENGTH = 500
DECIMAL_DIGITS, DECIMAL_PLACES = 18, 2
# Values the form writes; anything else (1e3, 1_000, " 1") is not ours to read.
_DECIMAL_TEXT = re.compile(r"-?\d+(?:\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELD_PREFIX, _CLEAR_PREFIX = "cf_", "cfclear_"


def fields_for(target: str):
    return list(CustomField.objects.filter(target=target))


def models_for(target: str) -> list:
    """The models whose records carry custom fields of `target`."""
    return [
        m for m in apps.get_models() if getattr(m, "custom_field_target", "") == target
    ]


def field_name(cf: CustomField) -> str:
    return _FIELD_PREFIX + cf.key


def is_empty(value) -> bool:
    return value is None or value == "" or value == []


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimal(value) -> Decimal | None:
    """`value` as the decimal the form field accepts, or None."""
    if _is_number(value):
        text = str(value)
    elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        text = value
    else:
        return None
    try:
        number = Decimal(text)
        DecimalValidator(DECIMAL_DIGITS, DECIMAL_PLACES)(number)
    except (InvalidOperation, ValidationError):
        return None
    return number


def _date(value) -> datetime.date | None:
    if not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def fits(cf: CustomField, value) -> bool:
    """Whether the field, as now defined, can hold the stored `value`.

    Strict on purpose: a value the edit form would have to convert (the text
    "12" in an integer field, one choice in a multiple-choice field) does not
    fit, because saving an untouched form must not change what is stored.
    """
    if is_empty(value):
        return True
    match cf.field_type:
        case T.TEXT:
            return _is_number(value) or (
                isinstance(value, str)
                and len(value) <= TEXT_MAX_LENGTH
                and "\n" not in value  # a one-line input would drop them
                and "\r" not in value
            )
        case T.LONG_TEXT:
            return isinstance(value, str) or _is_number(value)
        case T.INTEGER:
            return isinstance(value, int) and not isinstance(value, bool)
        case T.DECIMAL:
            return _decimal(value) is not None
        case T.DATE:
            return _date(value) is not None
        case T.CHOICE:
            return isinstance(value, str) and value in cf.choice_list
        case T.MULTI_CHOICE:
            choices = set(cf.choice_list)
            return isinstance(value, list) and all(
                isinstance(v, str) and v in choices for v in value
            )
        case T.BOOLEAN:
            return isinstance(value, bool)
    return False


def raw_text(value) -> str:
    """A stored value as it is, for values the field cannot display."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value)
    return json.dumps(value, ensure_ascii=False)


def count_unfit(cf: CustomField) -> int:
    """How many stored values the (possibly unsaved) `cf` cannot hold.

    Trashed records count too: their values come back with them. Checked in
    Python because "fits" depends on JSON types and choice lists, which SQLite
    and PostgreSQL do not express alike; it runs only when an administrator
    saves a field definition.
    """
    total = 0
    for model in models_for(cf.target):
        rows = model._base_manager.filter(custom__has_key=cf.key)
        for custom in rows.values_list("custom", flat=True).iterator(2000):
            total += not fits(cf, custom.get(cf.key))
    return total


def form_field(cf: CustomField, *, keeps_unfit: bool = False) -> forms.Field:
    """The form field for `cf`; with `keeps_unfit`, empty means "keep it"."""
    common = {"label": cf.label, "required": cf.required and not keeps_unfit}
    choices = [(c, c) for c in cf.choice_list]
    match cf.field_type:
        case T.LONG_TEXT:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
        case T.INTEGER:
            return forms.IntegerField(**common)
        case T.DECIMAL:
            # 50万, 500,000.00 and full-width digits read as people mean them.
            return AmountField(
                max_digits=DECIMAL_DIGITS, decimal_places=DECIMAL_PLACES, **common
            )
        case T.DATE:
            return DateField(**common)
        case T.CHOICE:
            return forms.ChoiceField(
                choices=[("", BLANK_CHOICE_LABEL), *choices], **common
            )
        case T.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        case T.BOOLEAN if keeps_unfit:
            # An unticked box could not be told apart from "keep".
            return forms.NullBooleanField(**common)
        case T.BOOLEAN:
            return forms.BooleanField(**common)
        case _:
            return forms.CharField(max_length=TEXT_MAX_LENGTH, **common)


def to_json(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(cf: CustomField, value):
    """A stored value that fits `cf`, as its form field's initial value."""
    if is_empty(value):
        return None
    match cf.field_type:
        case T.DATE:
            return _date(value)
        case T.DECIMAL:
            return _decimal(value)
        case T.TEXT | T.LONG_TEXT:
            return str(value)
    return value


def cell(cf: CustomField, value) -> tuple[str, bool]:
    """(text, flagged): the value displayed, or as it is when it does not fit."""
    if is_empty(value):
        return "", False
    if not fits(cf, value):
        return raw_text(value), True
    match cf.field_type:
        case T.BOOLEAN:
            return str(_("Yes") if value else _("No")), False
        case T.MULTI_CHOICE:
            return "、".join(value), False
        case T.DECIMAL:
            return f"{_decimal(value):,.2f}", False
    return str(value), False


def display(cf: CustomField, value) -> str:
    """The value as text; never raises, whatever the field became since."""
    return cell(cf, value)[0]


def list_cells(record, columns) -> list[tuple[str, bool]]:
    """(text, flagged) per list column, for a row of a list page."""
    custom = record.custom or {}
    return [cell(cf, custom.get(cf.key)) for cf in columns]


def detail_values(record, fields=None) -> list[tuple[str, str, bool]]:
    """(label, text, flagged) per custom field, for a detail page."""
    if fields is None:
        fields = fields_for(record.custom_field_target)
    custom = record.custom or {}
    return [(cf.label, *cell(cf, custom.get(cf.key))) for cf in fields]


class CustomFieldsFormMixin:
    """Custom fields on a ModelForm of a model with `custom_field_target`.

    Put it before `forms.ModelForm`. Adds a form field per custom field
    (`custom_field_names`, in order, for the template); `cleaned_custom()`
    returns the `custom` dict to save.

    A stored value the field cannot hold any more stays out of the input (the
    browser could not show it there); the help text quotes it, and it is kept
    unless the user enters a new value or ticks "remove" under the field.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = fields_for(self._meta.model.custom_field_target)
        self.custom_field_names = []
        self._unfit_keys = set()
        stored = self.instance.custom or {}
        for cf in self.custom_fields:
            name, value = field_name(cf), stored.get(cf.key)
            self.custom_field_names.append(name)
            if fits(cf, value):
                self.fields[name] = form_field(cf)
                self.initial.setdefault(name, from_json(cf, value))
                continue
            self._unfit_keys.add(cf.key)
            field = self.fields[name] = form_field(cf, keeps_unfit=True)
            field.help_text = _(
                "The stored value “%(value)s” does not fit this field's current "
                "type or choices. It is kept until you enter a new value."
            ) % {"value": Truncator(raw_text(value)).chars(300)}
            self.fields[_CLEAR_PREFIX + cf.key] = forms.BooleanField(
                label=_("Remove the stored value"), required=False
            )
            self.custom_field_names.append(_CLEAR_PREFIX + cf.key)

    def clean(self):
        cleaned_data = super().clean()
        for cf in self.custom_fields:
            name = field_name(cf)
            removing = self.cleaned_data.get(_CLEAR_PREFIX + cf.key)
            if (
                cf.required
                and removing
                and name in self.cleaned_data
                and is_empty(to_json(self.cleaned_data[name]))
            ):
                self.add_error(name, self.fields[name].error_messages["required"])
        return cleaned_data

    def cleaned_custom(self) -> dict:
        """The record's `custom` with the form's values; an unfit stored value
        the user neither replaced nor removed is kept as it is."""
        values = dict(self.instance.custom or {})
        for cf in self.custom_fields:
            name = field_name(cf)
            if name not in self.cleaned_data:
                continue
            value = to_json(self.cleaned_data[name])
            if not is_empty(value):
                values[cf.key] = value
            elif cf.key not in self._unfit_keys or self.cleaned_data.get(
                _CLEAR_PREFIX + cf.key
            ):
                values.pop(cf.key, None)
        return values


class CustomFieldFilter(django_filters.Filter):
    """Filters a JSON key: exact for scalars, membership for multiple choice.

    Rows whose value does not fit the field (a string in an integer field)
    simply do not match; the lookups compare JSON values and never cast.
    """

    def __init__(self, cf: CustomField, **kwargs):
        self.cf = cf
        super().__init__(field_name=f"custom__{cf.key}", label=cf.label, **kwargs)

    def filter(self, qs, value):
        if value in (None, "", [], ()):
            return qs
        lookup = f"custom__{self.cf.key}"
        match self.cf.field_type:
            case T.MULTI_CHOICE:
                return qs.filter(**{f"{lookup}__has_element": value})
            case T.TEXT | T.LONG_TEXT:
                return qs.filter(**{f"{lookup}__icontains": value})
            case T.BOOLEAN:
                return qs.filter(**{lookup: value == "1"})
            case T.INTEGER:
                return qs.filter(**{lookup: int(value)})
            case _:
                return qs.filter(**{lookup: to_json(value)})


def filter_for(cf: CustomField) -> django_filters.Filter:
    match cf.field_type:
        case T.CHOICE | T.MULTI_CHOICE:
            field_class = forms.ChoiceField
            extra = {"choices": [("", _("All")), *[(c, c) for c in cf.choice_list]]}
        case T.BOOLEAN:
            field_class = forms.ChoiceField
            extra = {"choices": [("", _("All")), ("1", _("Yes")), ("0", _("No"))]}
        case T.INTEGER:
            # Bounded: SQLite cannot bind a larger Python int (a 500).
            field_class = forms.IntegerField
            extra = {"min_value": -(2**63), "max_value": 2**63 - 1}
        case T.DATE:
            field_class = DateField
            extra = {"widget": DateInput()}
        case _:
            field_class, extra = forms.CharField, {}
    flt = CustomFieldFilter(cf, **extra)
    flt.field_class = field_class
    return flt


class CustomFieldsFilterSetMixin:
    """Custom fields on a FilterSet of a model with `custom_field_target`.

    Put it before `django_filters.FilterSet`. Adds a filter per filterable
    custom field and keeps the fields it read as `custom_fields` and
    `list_columns` (those shown in lists), so a list page or an export reads
    them once per request.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = fields_for(self._meta.model.custom_field_target)
        self.list_columns = [cf for cf in self.custom_fields if cf.show_in_list]
        for cf in self.custom_fields:
            if cf.filterable:
                self.filters[field_name(cf)] = filter_for(cf)
