"""Running an import: parse and check every row, then write all or nothing.

Parsing, the bulk look-ups and the checks run outside any transaction and
report progress; when no row failed (and it is not a dry run) everything is
written in one `transaction.atomic()` by the spec's `write()` hook. The hooks
are described in `imports/specs.py`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from crm import history
from crm.models import SecurityEvent

from .specs import Cells, ImportContext, ImportRow, ImportSpec, RowErrors

IMPORT_PERMISSION = "imports.add_importjob"
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class RowError:
    """`row` is the Excel row number (the header is row 1), `column` the
    column's header as in the file."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Note:
    """Something to look at that does not stop the import (a possible duplicate)."""

    row: int
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors


def may_import(spec: ImportSpec, user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and spec.allowed(user)
        and user.has_perm(IMPORT_PERMISSION)
    )


def run_import(
    spec: ImportSpec,
    table,
    mapping: dict[int, str | None],
    *,
    user,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    if not may_import(spec, user):
        raise PermissionDenied
    columns = {c.key: c for c in spec.columns()}
    headers, index = {}, {}
    for i, key in sorted(mapping.items()):
        if not key:
            continue
        if key not in columns:
            raise ValueError(f"{spec.key} has no column {key!r}")
        if key in headers:
            raise ValueError(f"{key!r} is mapped twice")
        headers[key] = table.headers[i]
        index[key] = i
    rows = [
        ImportRow(
            index=n,
            number=table.row_number(n),
            cells=Cells(cells, index),
        )
        for n, cells in enumerate(table.rows)
    ]
    ctx = ImportContext(
        spec=spec,
        user=user,
        columns=columns,
        headers=headers,
        rows=rows,
        dry_run=dry_run,
    )
    total = len(rows)
    missing = [c for c in columns.values() if c.required and c.key not in headers]
    result = ImportResult(rows=total, dry_run=dry_run)
    if missing:
        # Nothing can be read without them; said once, on the header row.
        result.errors = [
            RowError(
                1,
                c.header,
                _("The file has no column “%(header)s”.") % {"header": c.header},
            )
            for c in missing
        ]
        return result
    spec.prepare(ctx)
    for n, row in enumerate(rows, start=1):
        spec.parse_row(ctx, row)
        if progress and n % PROGRESS_EVERY == 0:
            progress(n, total)
    spec.resolve(ctx)
    if progress:
        progress(total, total)
    result.errors = _errors(ctx)
    result.notes = [Note(number, message) for number, message in ctx.notes]
    for row in rows:
        if row.ok and row.outcome in ("new", "updated", "unchanged"):
            setattr(result, row.outcome, getattr(result, row.outcome) + 1)
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            spec.write(ctx)
            history.audit(
                user,
                SecurityEvent.Kind.IMPORT,
                str(spec.label),
                rows=result.new + result.updated,
                spec=spec.key,
                new=result.new,
                updated=result.updated,
            )
    except RowErrors as exc:
        result.errors = [
            RowError(number, _header(ctx, key), message)
            for number, key, message in exc.errors
        ]
    return result


def _header(ctx: ImportContext, key: str) -> str:
    if key in ctx.headers:
        return ctx.headers[key]
    column = ctx.columns.get(key)
    return column.header if column else key


def _errors(ctx: ImportContext) -> list[RowError]:
    return [
        RowError(row.number, _header(ctx, key), message)
        for row in ctx.rows
        for key, message in row.errors
    ]
