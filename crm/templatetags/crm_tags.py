from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.http import urlencode

from crm import privacy

register = template.Library()


@register.filter
def reveal(value, visible) -> str:
    """A phone as the reader may see it: whole, or masked (138****5678)."""
    return privacy.reveal(value, bool(visible), "phone")


@register.filter
def reveal_email(value, visible) -> str:
    return privacy.reveal(value, bool(visible), "email")


@register.filter
def reveal_text(value, visible) -> str:
    """Free text (a contact's note) with phones and e-mails masked if need be."""
    return privacy.reveal(value, bool(visible), "text")


@register.filter
def money(value) -> str:
    """¥1,234,567.89 — amounts are always shown to the fen."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(value):,.2f}"


@register.filter
def attr_id(bound_field, element_id: str):
    return bound_field.as_widget(attrs={"id": element_id})


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label, css: str = "") -> str:
    """A column header that sorts by `field`, toggling the direction; `css`
    is the header cell's class."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == field:
        params["ordering"], arrow, sort = f"-{field}", " ↑", "ascending"
    elif current == f"-{field}":
        params["ordering"], arrow, sort = field, " ↓", "descending"
    else:
        params["ordering"], arrow, sort = field, "", "none"
    return format_html(
        '<th{} aria-sort="{}"><a href="?{}">{}{}</a></th>',
        format_html(' class="{}"', css) if css else "",
        sort,
        urlencode(sorted(params.lists()), doseq=True),
        label,
        arrow,
    )
