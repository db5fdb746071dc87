"""The merge form: a choice per field whose values differ, and the versions
of both customers as the page was loaded (a changed one refuses the merge)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm import customfields, history
from crm.models import CustomField
from crm.templatetags.crm_tags import money

from . import merging
from .forms import user_label
from .models import Customer

PREFIX = "field_"


def display(customer: Customer, name: str, custom: dict) -> str:
    """A merge field's value as the customer's page shows it; "—" when empty."""
    if name.startswith(history.CUSTOM_PREFIX):
        cf = custom[name[len(history.CUSTOM_PREFIX) :]]
        text = customfields.display(cf, merging.field_value(customer, name))
        return text or "—"
    field = Customer._meta.get_field(name)
    value = getattr(customer, name)
    if name == "historical_amount":
        return money(value)
    if name in ("owner", "success_manager"):
        return user_label(value) if value else "—"
    if field.choices:
        value = getattr(customer, f"get_{name}_display")()
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return str(value) if value not in (None, "") else "—"


class MergeForm(forms.Form):
    keep = forms.CharField(widget=forms.HiddenInput)
    drop = forms.CharField(widget=forms.HiddenInput)
    keep_version = forms.IntegerField(widget=forms.HiddenInput)
    drop_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, keep: Customer, drop: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.update(
            keep=keep.customer_no,
            drop=drop.customer_no,
            keep_version=keep.version,
            drop_version=drop.version,
        )
        custom = {
            cf.key: cf for cf in customfields.fields_for(CustomField.Target.CUSTOMER)
        }
        self.differing = merging.differing_fields(keep, drop, list(custom))
        for name in self.differing:
            if name.startswith(history.CUSTOM_PREFIX):
                label = custom[name[len(history.CUSTOM_PREFIX) :]].label
            else:
                label = Customer._meta.get_field(name).verbose_name
            choices = [
                (merging.KEEP, display(keep, name, custom)),
                (merging.DROP, display(drop, name, custom)),
            ]
            if name == "historical_amount":
                total = keep.historical_amount + drop.historical_amount
                choices.append(
                    (
                        merging.SUM,
                        _("Both added up: %(total)s") % {"total": money(total)},
                    )
                )
            self.fields[PREFIX + name] = forms.ChoiceField(
                label=label,
                choices=choices,
                widget=forms.RadioSelect,
                initial=merging.default_choice(keep, drop, name),
            )

    def choice_fields(self):
        """The bound choice fields, in the order of the customer's form."""
        return [self[PREFIX + name] for name in self.differing]

    def choices(self) -> dict[str, str]:
        return {name: self.cleaned_data[PREFIX + name] for name in self.differing}
