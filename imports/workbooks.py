"""The .xlsx files the wizard hands out: a module's template and the failed
rows of an import with what was wrong with each."""

import io
from collections import defaultdict

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

ERROR_HEADER = "错误"
OPTIONS_SHEET = "选项"
# Rows of the template that get the dropdowns (Excel stores one range each).
TEMPLATE_ROWS = 5000

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E8EEF7")
REQUIRED_FONT = Font(bold=True, color="B42318")
ERROR_FONT = Font(color="B42318")


def _cell_value(value):
    """A value as a cell holds it: text without the control characters .xlsx
    cannot store; numbers and dates as they are."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _put(sheet, row: int, column: int, value):
    cell = sheet.cell(row=row, column=column, value=_cell_value(value))
    if isinstance(value, str) and value.startswith("="):
        # Text the user typed stays text: never a formula Excel would run.
        cell.data_type = "s"
    return cell


def _save(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _width(texts) -> int:
    longest = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(t)) for t in texts)
    return min(60, max(10, longest + 2))


def template_workbook(spec) -> bytes:
    """The module's template: the header row (required columns in red, with a
    comment), one example row, and a dropdown for every column with choices;
    the choices live on a hidden sheet, as lists longer than 255 characters
    cannot be written into the validation itself."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入模板"
    options = workbook.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    option_column = 0
    for index, column in enumerate(spec.columns(), start=1):
        header = _put(sheet, 1, index, column.header)
        header.fill = HEADER_FILL
        header.font = REQUIRED_FONT if column.required else HEADER_FONT
        if column.required:
            header.comment = Comment("必填", "CRM")
        _put(sheet, 2, index, column.example or None)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _width(
            [column.header, column.example or ""]
        )
        if not column.choices:
            continue
        option_column += 1
        option_letter = get_column_letter(option_column)
        _put(options, 1, option_column, column.header)
        for row, choice in enumerate(column.choices, start=2):
            _put(options, row, option_column, choice)
        last = len(column.choices) + 1
        validation = DataValidation(
            type="list",
            formula1=(
                f"{quote_sheetname(OPTIONS_SHEET)}!"
                f"${option_letter}$2:${option_letter}${last}"
            ),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column.header,
            error="请从下拉列表中选择",
        )
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    return _save(workbook)


def error_workbook(table, result) -> bytes:
    """The rows that failed, as they were in the file, with an "错误" column
    ("列名: message; ..."), so the user can fix them and import this file.
    Errors not tied to a row of the table (row 0, a missing column) come
    first, on rows of their own."""
    messages = defaultdict(list)
    for error in result.errors:
        text = f"{error.column}: {error.message}" if error.column else error.message
        messages[error.row].append(text)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "错误"
    headers = [*table.headers, ERROR_HEADER]
    for index, header in enumerate(headers, start=1):
        cell = _put(sheet, 1, index, header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    error_column = len(headers)
    by_number = {table.row_number(i): i for i in range(len(table))}
    out_row = 2
    for number in sorted(n for n in messages if n not in by_number):
        _put(sheet, out_row, error_column, "; ".join(messages[number]))
        out_row += 1
    for number in sorted(n for n in messages if n in by_number):
        values = table.rows[by_number[number]]
        for index, value in enumerate(values[: len(table.headers)], start=1):
            _put(sheet, out_row, index, value)
        cell = _put(sheet, out_row, error_column, "; ".join(messages[number]))
        cell.font = ERROR_FONT
        out_row += 1
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width([header])
    sheet.column_dimensions[get_column_letter(error_column)].width = 60
    sheet.freeze_panes = "A2"
    return _save(workbook)
