"""Admin-defined custom fields: form fields, filters, list columns and display.

Values live in the target model's `custom` JSON column, keyed by CustomField.key,
stored as JSON-native values (dates and decimals as strings).
"""

import datetime
from decimal import Decimal

import django_filters
from django import forms
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils.translation import gettext_lazy as _

from .models import CustomField
from .widgets import DateInput

T = CustomField.Type


def fields_for(target: str):
    return list(CustomField.objects.filter(target=target))


def form_field(cf: CustomField) -> forms.Field:
    common = {"label": cf.label, "required": cf.required}
    choices = [(c, c) for c in cf.choice_list]
    match cf.field_type:
        case T.LONG_TEXT:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
        case T.INTEGER:
            return forms.IntegerField(**common)
        case T.DECIMAL:
            return forms.DecimalField(max_digits=18, decimal_places=2, **common)
        case T.DATE:
            return forms.DateField(widget=DateInput(), **common)
        case T.CHOICE:
            return forms.ChoiceField(
                choices=[("", BLANK_CHOICE_LABEL), *choices], **common
            )
        case T.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        case T.BOOLEAN:
            return forms.BooleanField(**common)
        case _:
            return forms.CharField(max_length=500, **common)


def to_json(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(cf: CustomField, value):
    if value in (None, ""):
        return None
    if cf.field_type == T.DATE:
        return datetime.date.fromisoformat(value)
    if cf.field_type == T.DECIMAL:
        return Decimal(value)
    return value


def display(cf: CustomField, value) -> str:
    if value in (None, "", []):
        return ""
    if cf.field_type == T.BOOLEAN:
        return str(_("Yes") if value else _("No"))
    if cf.field_type == T.MULTI_CHOICE:
        return "、".join(value)
    if cf.field_type == T.DECIMAL:
        return f"{Decimal(value):,.2f}"
    return str(value)


def add_form_fields(form: forms.Form, target: str, values: dict) -> list[str]:
    """Add a field per custom field to `form`; returns the form field names."""
    names = []
    for cf in fields_for(target):
        name = f"cf_{cf.key}"
        form.fields[name] = form_field(cf)
        form.initial.setdefault(name, from_json(cf, (values or {}).get(cf.key)))
        names.append(name)
    return names


def cleaned_values(form: forms.Form, target: str, current: dict) -> dict:
    values = dict(current or {})
    for cf in fields_for(target):
        name = f"cf_{cf.key}"
        if name in form.cleaned_data:
            value = to_json(form.cleaned_data[name])
            if value in (None, "", []):
                values.pop(cf.key, None)
            else:
                values[cf.key] = value
    return values


class CustomFieldFilter(django_filters.Filter):
    """Filters a JSON key: exact for scalars, membership for multiple choice."""

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
            field_class, extra = forms.IntegerField, {}
        case T.DATE:
            field_class = forms.DateField
            extra = {"widget": DateInput()}
        case _:
            field_class, extra = forms.CharField, {}
    flt = CustomFieldFilter(cf, **extra)
    flt.field_class = field_class
    return flt
