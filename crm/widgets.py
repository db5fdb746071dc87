from decimal import Decimal

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class DateInput(forms.DateInput):
    """The browser's date picker; its value must be ISO whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AmountInput(forms.TextInput):
    """Text (so 50万 and 500,000 can be typed) with the phone's decimal keypad;
    a stored amount is shown with thousands separators, which it reads back."""

    def __init__(self, attrs=None):
        super().__init__(
            {"inputmode": "decimal", "autocomplete": "off", **(attrs or {})}
        )

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return f"{value:,f}"
        return super().format_value(value)


class FastSelect(forms.Select):
    """A <select> whose options are rendered in Python, not one template each.

    Django renders every <option> through its own template; the customer
    list's filters carry about 200 options, which made the filter bar the
    slowest part of the page. Same markup, same attributes.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = []
        for group, options, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((o["value"], flatatt(o["attrs"]), o["label"]) for o in options),
            )
            if group:
                html.append(
                    format_html('<optgroup label="{}">{}</optgroup>', group, rendered)
                )
            else:
                html.append(rendered)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(html)),
        )


def use_fast_selects(form: forms.BaseForm) -> forms.BaseForm:
    """Render the form's plain <select>s with FastSelect (same state, no copy)."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget.__class__ = FastSelect
    return form
