"""How report figures read: CNY to the fen with thousands separators, rates
as percentages with one decimal, "—" where a rate has a zero denominator."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from crm.templatetags.crm_tags import money
from reports.tables import ONE_DECIMAL, percent

register = template.Library()

DASH = "—"


@register.filter
def cny(value) -> str:
    """¥1,234,567.89 (the house's `money`)."""
    return money(value)


@register.filter
def rate(value) -> str:
    """A Decimal fraction as 12.3%; None (a zero denominator) as —."""
    if value is None or value == "":
        return DASH
    return f"{percent(value)}%"


@register.filter
def number(value) -> str:
    """Days, hours, a mean score: one decimal, thousands separated."""
    if value is None or value == "":
        return DASH
    return f"{Decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP):,}"


@register.filter
def count(value) -> str:
    if value is None or value == "":
        return DASH
    return f"{int(value):,}"


@register.filter
def cell(row: dict, column) -> str:
    """A table cell: the row's value for `column`, formatted by its kind and
    linked when the column names the row's URL key."""
    value = row.get(column.key)
    kind = column.kind
    if kind == "amount":
        text = cny(value)
    elif kind in ("rate", "share"):
        text = rate(value)
    elif kind == "number":
        text = number(value)
    elif kind == "count":
        text = count(value)
    elif kind == "date":
        text = value.isoformat() if value else DASH
    else:
        text = DASH if value in (None, "") else str(value)
    url = row.get(column.link) if column.link else None
    if url:
        return format_html('<a href="{}">{}</a>', url, text)
    return text


@register.simple_tag
def report_rows(table) -> str:
    """The table's body rows, a <tr> each, with the page's columns: the
    hottest loop of a report page (the action lists draw 300 rows), so it is
    built here once per table rather than in nested template loops that look
    up and translate each column's label again for every cell."""
    columns = [
        (
            column,
            format_html(
                '<td class="num-{}" data-label="{}">', column.kind, column.label
            ),
        )
        for column in table.columns
        if column.page
    ]
    return mark_safe(
        "".join(
            "<tr>"
            + "".join(
                f"{opening}{conditional_escape(cell(row, column))}</td>"
                for column, opening in columns
            )
            + "</tr>"
            for row in table.rows
        )
    )


@register.simple_tag(takes_context=True)
def report_sort(context, table, column) -> str:
    """The header of a sortable column: a link that sorts by it (descending
    first: the biggest figures lead), then toggles."""
    label = str(column.label)
    if column.key not in table.sortable:
        return format_html('<th scope="col" class="num-{}">{}</th>', column.kind, label)
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    for name in ("format", "export"):
        params.pop(name, None)
    if current == f"-{column.key}":
        params["sort"], arrow, state = column.key, " ↓", "descending"
    elif current == column.key:
        params["sort"], arrow, state = f"-{column.key}", " ↑", "ascending"
    else:
        params["sort"], arrow, state = f"-{column.key}", "", "none"
    return format_html(
        '<th scope="col" class="num-{}" aria-sort="{}"><a href="?{}">{}{}</a></th>',
        column.kind,
        state,
        urlencode(sorted(params.lists()), doseq=True),
        label,
        arrow,
    )
