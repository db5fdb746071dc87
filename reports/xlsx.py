"""A report as an .xlsx workbook: the filters at the top, then the key
figures and every table of the page, with numbers as numbers (amounts to the
fen, rates as percentages with one decimal) so they can be summed in Excel.

Reports are small (bounded tables), so openpyxl writes them in memory; the
streamed exporter in `imports/exporting.py` is for the million-row lists.
"""

from decimal import Decimal
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from imports.exporting import neutralise

from .tables import ONE_DECIMAL, percent

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DASH = "—"
FORMATS = {
    "amount": '"¥"#,##0.00',
    "rate": "0.0%",
    "share": "0.0%",
    "number": "#,##0.0",
    "count": "#,##0",
}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def value_cell(value, kind: str):
    """(value, number format) for a cell; "—" for an empty figure."""
    if value is None or value == "":
        return DASH, None
    if kind in ("rate", "share"):
        return float(percent(value) / 100), FORMATS[kind]
    if kind == "amount":
        return Decimal(value).quantize(Decimal("0.01")), FORMATS[kind]
    if kind == "number":
        return float(Decimal(value).quantize(ONE_DECIMAL)), FORMATS[kind]
    if kind == "count":
        return int(value), FORMATS[kind]
    if kind == "date":
        return value, "yyyy-mm-dd"
    return neutralise(str(value)), None


def workbook(*, title: str, result, filters, user, generated_at) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = TITLE
    sheet.append([_("Generated"), generated_at.strftime("%Y-%m-%d %H:%M")])
    sheet.append([_("By"), user.get_full_name() or user.get_username()])
    for label, value in filters.described:
        sheet.append([str(label), neutralise(str(value))])
    widths: dict[int, int] = {}

    def put(values: list, kinds: list[str], bold=False):
        row = sheet.max_row + 1
        for col, (value, kind) in enumerate(zip(values, kinds, strict=True), start=1):
            cell_value, number_format = value_cell(value, kind)
            cell = sheet.cell(row=row, column=col, value=cell_value)
            if number_format:
                cell.number_format = number_format
            if bold:
                cell.font = BOLD
            widths[col] = max(widths.get(col, 0), len(str(cell_value)) + 2)

    if result.figures:
        sheet.append([])
        for label, value, kind in result.figures:
            put([str(label), value], ["text", kind])
    for table in result.tables:
        sheet.append([])
        sheet.append([str(table.title)])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
        put(
            [str(c.label) for c in table.columns],
            ["text"] * len(table.columns),
            bold=True,
        )
        kinds = [c.kind for c in table.columns]
        for row in table.rows:
            put([row.get(c.key) for c in table.columns], kinds)
        if table.total:
            values = [table.total.get(c.key) for c in table.columns]
            values[0] = _("Total")
            put(values, ["text", *kinds[1:]], bold=True)
        if table.note:
            sheet.append([neutralise(str(table.note))])
    for col, width in widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = min(max(width, 8), 60)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
