"""Reading an uploaded spreadsheet into a table of cells (DESIGN §6).

.xlsx (and .xls) through python-calamine, the first sheet; .csv in UTF-8,
UTF-8 with a byte-order mark, or GBK/GB18030 (what Excel in China saves).
Everything a file can be wrong in is a `FileRefused` with a sentence for the
user, before anything else looks at the file: nothing is half-read.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _

from .mapping import normalise_header

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls")
CSV_SUFFIXES = (".csv", ".txt")
# An encrypted workbook is an OLE compound file holding an EncryptionInfo
# stream instead of the zip of an .xlsx.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
ZIP_MAGIC = b"PK\x03\x04"


class FileRefused(Exception):
    """The file cannot be imported; `message` says why, in the user's language."""

    def __init__(self, message: str):
        self.message = str(message)
        super().__init__(self.message)


@dataclass
class Table:
    """The header row and the data rows of a file, cells as read."""

    headers: list[str]
    rows: list[list] = field(default_factory=list)
    # The Excel row number of each data row (blank rows in between are skipped).
    numbers: list[int] = field(default_factory=list)

    def row_number(self, i: int) -> int:
        return self.numbers[i] if self.numbers else i + 2

    def __len__(self) -> int:
        return len(self.rows)


def read_table(data: bytes, *, filename: str) -> Table:
    """The first sheet of `data` (an uploaded file named `filename`)."""
    if len(data) > settings.CRM_IMPORT_MAX_BYTES:
        raise FileRefused(
            _("The file is %(size)s MB; files of up to %(limit)s MB can be imported.")
            % {
                "size": _megabytes(len(data)),
                "limit": _megabytes(settings.CRM_IMPORT_MAX_BYTES),
            }
        )
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    name = (filename or "").lower()
    if (
        name.endswith(SPREADSHEET_SUFFIXES)
        or data[:4] == ZIP_MAGIC
        or data[:8] == OLE_MAGIC
    ):
        rows = _read_workbook(data)
    elif name.endswith(CSV_SUFFIXES):
        rows = _read_csv(data)
    else:
        raise FileRefused(_not_a_spreadsheet())
    return _table(rows)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def _not_a_spreadsheet() -> str:
    return _(
        "This is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV "
        "file (.csv)."
    )


def _read_workbook(data: bytes):
    if data[:8] == OLE_MAGIC and ENCRYPTION_STREAM in data:
        raise FileRefused(_password_protected())
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            raise FileRefused(_("The workbook has no sheet."))
        sheet = book.get_sheet_by_index(0)
        if sheet.width > settings.CRM_IMPORT_MAX_COLUMNS:
            raise FileRefused(_too_many_columns(sheet.width))
        if sheet.height > settings.CRM_IMPORT_MAX_ROWS + 1:
            raise FileRefused(_too_many_rows(sheet.height - 1))
        shared = _Shared()
        rows = [shared.row(row) for row in sheet.iter_rows()]
    except python_calamine.PasswordError as exc:
        raise FileRefused(_password_protected()) from exc
    except FileRefused:
        raise
    except Exception as exc:  # calamine's errors: zip, xml, unknown format
        raise FileRefused(_not_a_spreadsheet()) from exc
    return rows


class _Shared:
    """Cells as `_cell` reads them, a column's repeated texts (企业, 上海, B)
    as one shared string: a hundred thousand rows hold a few objects per
    such column instead of one per cell. A column stops sharing once it has
    many distinct values (names, phones)."""

    LIMIT = 2000

    def __init__(self):
        self.columns: list[dict | None] = []

    def row(self, values) -> list:
        columns = self.columns
        if len(columns) < len(values):
            columns.extend({} for _ in range(len(values) - len(columns)))
        cells = []
        for i, value in enumerate(values):
            value = _cell(value)
            seen = columns[i]
            if seen is not None and isinstance(value, str):
                value = seen.setdefault(value, value)
                if len(seen) > self.LIMIT:
                    columns[i] = None
            cells.append(value)
        return cells


def _password_protected() -> str:
    return _(
        "The workbook is protected by a password. Remove the password in Excel "
        "(File › Info › Protect Workbook) and upload it again."
    )


def _cell(value):
    """Empty cells as None; whole numbers (Excel stores 12 as 12.0) as int."""
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, datetime.timedelta):
        return str(value)
    return value


def _read_csv(data: bytes):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any byte string
        raise FileRefused(_undecodable())
    if "\x00" in text:
        # UTF-16 or a binary file renamed to .csv.
        raise FileRefused(_undecodable())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            if len(row) > settings.CRM_IMPORT_MAX_COLUMNS:
                raise FileRefused(_too_many_columns(len(row)))
            rows.append([value if value.strip() else None for value in row])
            if len(rows) > settings.CRM_IMPORT_MAX_ROWS + 1:
                raise FileRefused(_too_many_rows(len(rows) - 1))
    except csv.Error as exc:
        raise FileRefused(_not_a_spreadsheet()) from exc
    return rows


def _undecodable() -> str:
    return _(
        "The text of this file could not be read. Save it as CSV UTF-8 or as an "
        "Excel workbook (.xlsx) and upload it again."
    )


def _too_many_columns(count: int) -> str:
    return _("The file has %(count)s columns; at most %(limit)s can be imported.") % {
        "count": count,
        "limit": settings.CRM_IMPORT_MAX_COLUMNS,
    }


def _too_many_rows(count: int) -> str:
    return _(
        "The file has %(count)s rows; at most %(limit)s can be imported at once. "
        "Split it into several files."
    ) % {"count": count, "limit": settings.CRM_IMPORT_MAX_ROWS}


def _blank(row) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _table(rows: list[list]) -> Table:
    # Leading blank rows are skipped: the header is the first row with text.
    start = 0
    while start < len(rows) and _blank(rows[start]):
        start += 1
    if start == len(rows):
        raise FileRefused(_("The file is empty."))
    raw_headers = list(rows[start])
    while raw_headers and (raw_headers[-1] is None or not str(raw_headers[-1]).strip()):
        raw_headers.pop()
    headers = [str(h).strip() if h is not None else "" for h in raw_headers]
    width = len(headers)
    if width > settings.CRM_IMPORT_MAX_COLUMNS:
        raise FileRefused(_too_many_columns(width))
    seen = {}
    for i, header in enumerate(headers):
        if not header:
            raise FileRefused(
                _(
                    "Column %(column)s has no header. Give every column a header "
                    "in the first row."
                )
                % {"column": column_letter(i)}
            )
        key = normalise_header(header)
        if key in seen:
            raise FileRefused(
                _(
                    "The header “%(header)s” appears twice (columns %(first)s and "
                    "%(second)s). Give every column its own header."
                )
                % {
                    "header": header,
                    "first": column_letter(seen[key]),
                    "second": column_letter(i),
                }
            )
        seen[key] = i
    table = Table(headers=headers)
    for offset, row in enumerate(rows[start + 1 :], start=start + 2):
        if _blank(row):
            continue
        extra = row[width:]
        if not _blank(extra):
            raise FileRefused(
                _(
                    "Row %(row)s has values in columns without a header. Give every "
                    "column a header in the first row."
                )
                % {"row": offset}
            )
        cells = list(row[:width])
        cells += [None] * (width - len(cells))
        table.rows.append(cells)
        table.numbers.append(offset)
    if not table.rows:
        raise FileRefused(_("The file has a header row but no data rows."))
    if len(table.rows) > settings.CRM_IMPORT_MAX_ROWS:
        raise FileRefused(_too_many_rows(len(table.rows)))
    return table


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
