"""Files built in the tests themselves (no binaries in the repository)."""

import csv
import io

from openpyxl import Workbook

from imports.engine import run_import
from imports.mapping import auto_map
from imports.reading import read_table
from imports.specs import get_spec


def xlsx(rows) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def run(key, rows, user, *, dry_run=False, filename="f.xlsx"):
    """Import `rows` (header first) as an .xlsx through the whole pipeline."""
    data = xlsx(rows) if filename.endswith(".xlsx") else csv_bytes(rows)
    table = read_table(data, filename=filename)
    spec = get_spec(key)
    return run_import(
        spec, table, auto_map(spec, table.headers), user=user, dry_run=dry_run
    )


def errors(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]
