"""The error summary every form page shows above its fields."""

from django import template
from django.utils.translation import gettext

register = template.Library()


def field_anchor(bound) -> str:
    """The id a summary link moves focus to: the input, or for a group of
    checkboxes or radios (which have no single input) its first one."""
    if bound.is_hidden:
        return ""
    return bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")


def _item(message, label="", target="") -> dict:
    text = (
        gettext("%(label)s: %(message)s") % {"label": label, "message": message}
        if label
        else str(message)
    )
    return {"text": text, "target": target}


def _form_items(form, prefix_label: str = "") -> list[dict]:
    items = []
    first_target = ""
    for bound in form:
        first_target = first_target or field_anchor(bound)
        for message in bound.errors:
            label = str(bound.label) if not bound.is_hidden else ""
            if prefix_label:
                label = f"{prefix_label} · {label}" if label else prefix_label
            items.append(_item(message, label, field_anchor(bound)))
    non_field = [
        _item(m, prefix_label, first_target if prefix_label else "")
        for m in form.non_field_errors()
    ]
    return non_field + items


def error_items(form, *formsets) -> list[dict]:
    """Every error of `form` and `formsets`, in page order, as
    {"text": "label: message", "target": id to focus or ""}."""
    items = _form_items(form) if form else []
    for formset in formsets:
        if not formset or not formset.is_bound:
            continue
        noun = formset.model._meta.verbose_name if formset.model else ""
        items += [
            _item(
                m, str(formset.model._meta.verbose_name_plural), formset_anchor(formset)
            )
            for m in formset.non_form_errors()
        ]
        for number, row in enumerate(formset.forms, start=1):
            if row.errors:
                label = gettext("%(item)s %(number)d") % {
                    "item": noun,
                    "number": number,
                }
                items += _form_items(row, label)
    return items


def formset_anchor(formset) -> str:
    return f"{formset.prefix}-errors"


@register.simple_tag
def error_summary(form, *formsets) -> list[dict]:
    """`{% error_summary form contacts as errors %}`: see `error_items`."""
    return error_items(form if hasattr(form, "errors") else None, *formsets)


@register.filter
def formset_errors_id(formset) -> str:
    return formset_anchor(formset)
