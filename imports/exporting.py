"""'Export this view' for every list: .csv or .xlsx, streamed (DESIGN §6).

A module declares its export once (`Export`: the `values()` fields to read,
the columns with their Chinese headers, and the names to look up in bulk) and
serves it with an `ExportView`; `manage.py crm_export` writes the same bytes
to a file. This module imports no app: modules hand it their declarations.

Memory stays flat whatever the row count: rows are read as tuples
(`values_list().iterator()`, a server-side cursor on PostgreSQL) in batches
of `BATCH_SIZE`; per batch, one query per related name (users, industries,
tags, a primary contact…) resolves the whole batch, and the batch is written
out and dropped before the next one is read. No model instance is built per
row.

Cells are typed by their value: text (neutralised against formulas, like
the headers: admins name custom fields), integers, amounts (`Decimal`, plain
with two decimals), dates (ISO) and datetimes (the site's time zone, to the
minute). The .xlsx is written by hand as a zip streamed while it is built
(openpyxl cannot write to a socket and its write-only mode is several times
slower): one sheet of inline strings, so nothing is kept per row.
"""

import csv
import datetime
import functools
import io
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import batched
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django_filters.views import FilterView

from crm import customfields, history
from crm.models import CustomField, SecurityEvent
from crm.views import RestrictedViewMixin

BATCH_SIZE = 2000
# A look-up remembers the names it fetched for the next batches (users,
# industries repeat); past this many it starts over so memory stays bounded.
LOOKUP_CACHE_LIMIT = 20_000
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TAG_SEPARATOR = "、"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """Stop spreadsheet apps from running a cell as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


# ---------------------------------------------------------------- declaring


@dataclass(frozen=True)
class Column:
    """One column: its header and how a row (a dict of the read fields and
    the looked-up names) gives its value. `value` is a row key or a callable."""

    header: str
    value: str | Callable[[dict], Any]

    def getter(self) -> Callable[[dict], Any]:
        return itemgetter(self.value) if isinstance(self.value, str) else self.value


@dataclass
class Lookup:
    """`row[name]` = the name of the record `row[key]` points to, fetched in
    bulk per batch (`fetch(ids) -> {id: name}`) and remembered across batches."""

    name: str
    key: str
    fetch: Callable[[set], dict]


@dataclass
class Related:
    """`row[name]` = what `fetch(pks) -> {pk: value}` gives for the row's
    primary key, one call per batch (tags, the primary contact…)."""

    name: str
    fetch: Callable[[list], dict]
    default: Any = None


@dataclass
class Export:
    """What a module exports: `fields` read with `values()` ("pk" is always
    read), the columns in file order, and the bulk look-ups they need."""

    name: str
    fields: tuple[str, ...]
    columns: list[Column]
    lookups: list[Lookup] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    # Joins the fields need (a FilteredRelation), added to the queryset.
    prepare: Callable[[Any], Any] | None = None

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def choice_labels(model, field_name: str) -> Callable[[dict], str]:
    """A column value: the field's choice shown by its label (in the language
    the export is built in: call it under `translation.override`)."""
    labels = {k: str(v) for k, v in model._meta.get_field(field_name).flatchoices}
    return lambda row: labels.get(row[field_name], row[field_name] or "")


def usernames(ids: set) -> dict:
    return dict(
        get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    )


def names_of(model, name_field: str = "name") -> Callable[[set], dict]:
    return lambda ids: dict(
        model._base_manager.filter(pk__in=ids).values_list("pk", name_field)
    )


def custom_value(cf: CustomField, value, yes: str, no: str):
    """A custom field's stored value as a cell: typed when it fits the field,
    as stored (text) when it no longer does (`crm.customfields.fits`)."""
    if customfields.is_empty(value):
        return None
    if not customfields.fits(cf, value):
        return customfields.raw_text(value)
    match cf.field_type:
        case CustomField.Type.BOOLEAN:
            return yes if value else no
        case CustomField.Type.MULTI_CHOICE:
            return TAG_SEPARATOR.join(value)
        case CustomField.Type.DECIMAL:
            return customfields.from_json(cf, value)
        case CustomField.Type.DATE:
            return customfields.from_json(cf, value)
        case CustomField.Type.INTEGER:
            return value
    return str(value)


def custom_columns(custom_fields: Iterable[CustomField], source="custom"):
    """A column per custom field, headed by its label."""
    yes, no = str(translation.gettext("Yes")), str(translation.gettext("No"))
    return [
        Column(
            cf.label,
            lambda row, cf=cf: custom_value(
                cf, (row[source] or {}).get(cf.key), yes, no
            ),
        )
        for cf in custom_fields
    ]


@dataclass
class Exporter:
    """A module's export for `manage.py crm_export <key>`: its model's rows
    the user may view (`rows(queryset, user)` adds what the columns need,
    such as the masking flag), built by `make(custom_fields)`; the export
    permission is `permission_model`'s (the model's own by default)."""

    key: str
    model: type
    make: Callable[..., Export]
    rows: Callable[[Any, Any], Any] = lambda queryset, user: queryset
    permission_model: type | None = None

    def custom_fields(self) -> list[CustomField]:
        target = getattr(self.model, "custom_field_target", "")
        return customfields.fields_for(target) if target else []

    def build(self) -> Export:
        if getattr(self.model, "custom_field_target", ""):
            return build(self.make, self.custom_fields())
        return build(self.make)


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> None:
    """Called by a module's `resources.py` (found by `exporters()`)."""
    EXPORTERS[exporter.key] = exporter


def exporters() -> dict[str, Exporter]:
    """Every module's exporter: imports each app's `resources` module, as the
    admin site finds `admin` modules, so this app names none of them."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("resources")
    return dict(sorted(EXPORTERS.items()))


# ----------------------------------------------------------------- reading


def rows(export: Export, queryset, *, batch_size: int = BATCH_SIZE):
    """Batches of rows, each row a list of cell values in column order."""
    names = ["pk", *(f for f in export.fields if f != "pk")]
    getters = [c.getter() for c in export.columns]
    caches = {lookup.name: {} for lookup in export.lookups}
    if export.prepare is not None:
        queryset = export.prepare(queryset)
    tuples = queryset.values_list(*names).iterator(chunk_size=batch_size)
    for batch in batched(tuples, batch_size):
        dicts = [dict(zip(names, t, strict=True)) for t in batch]
        for lookup in export.lookups:
            cache = caches[lookup.name]
            wanted = {d[lookup.key] for d in dicts} - cache.keys() - {None}
            if wanted:
                if len(cache) > LOOKUP_CACHE_LIMIT:
                    cache.clear()
                cache.update(lookup.fetch(wanted))
            for d in dicts:
                d[lookup.name] = cache.get(d[lookup.key])
        if export.related:
            pks = [d["pk"] for d in dicts]
            for related in export.related:
                found = related.fetch(pks)
                for d in dicts:
                    d[related.name] = found.get(d["pk"], related.default)
        yield [[get(d) for get in getters] for d in dicts]


def _in_one_snapshot(batches: Iterator) -> Iterator:
    """Read inside a transaction: PostgreSQL then streams the server-side
    cursor as it is read (outside one, it first copies the whole result)."""
    with transaction.atomic():
        yield from batches


# ----------------------------------------------------------------- CSV


@functools.cache
def _site_zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _minute(value: datetime.datetime) -> datetime.datetime:
    """In the site's time zone (DESIGN: times as the company reads them), to
    the minute, as the import reads them back."""
    if value.tzinfo is not None:
        value = value.astimezone(_site_zone(settings.TIME_ZONE))
    return value.replace(second=0, microsecond=0, tzinfo=None)


def csv_cell(value) -> str:
    """A cell that is not text (text only needs `neutralise`)."""
    kind = type(value)
    if kind is str:
        return neutralise(value)
    if value is None:
        return ""
    if kind is Decimal:
        return f"{value:.2f}"
    if kind is datetime.datetime:
        return _minute(value).strftime("%Y-%m-%d %H:%M")
    if kind is datetime.date:
        return value.isoformat()
    return str(value)


def csv_row(row: list) -> list:
    # Text, the most common cell, without a call per cell.
    return [
        ("'" + v if v.startswith(FORMULA_STARTS) else v)
        if type(v) is str
        else csv_cell(v)
        for v in row
    ]


def csv_chunks(headers: list[str], batches: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel then reads Chinese right), a chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in headers])
    yield ("\ufeff" + buffer.getvalue()).encode()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_row(row) for row in batch])
        yield buffer.getvalue().encode()


# ----------------------------------------------------------------- xlsx

# XML 1.0 forbids most control characters; a cell holding one would make
# Excel refuse the whole file.
_XML_TEXT = {
    **dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]),
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
}
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
_EXCEL_EPOCH_DATE = _EXCEL_EPOCH.date()
STYLE_HEADER, STYLE_AMOUNT, STYLE_DATE, STYLE_DATETIME = 1, 2, 3, 4
SHEET_NAME = "Sheet1"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES_XML = (
    XML_HEAD
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS_XML = (
    XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_XML = (
    XML_HEAD + f'<workbook xmlns="{NS}" xmlns:r="{REL_NS}">'
    f'<sheets><sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
WORKBOOK_RELS_XML = (
    XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Styles: 0 plain, 1 bold header, 2 amount #,##0.00, 3 date, 4 date and time.
STYLES_XML = (
    XML_HEAD + f'<styleSheet xmlns="{NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    "</borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    if not value.isprintable():  # a control character (or a rare space)
        return value.translate(_XML_TEXT)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _string_cell(ref: str, value: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    text = _text(value)
    return (
        f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    )


def xlsx_cell(ref: str, value) -> str:
    kind = type(value)
    if kind is str:
        return _string_cell(ref, neutralise(value)) if value else ""
    if value is None:
        return ""
    if kind is Decimal:
        return f'<c r="{ref}" s="{STYLE_AMOUNT}"><v>{value:.2f}</v></c>'
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if kind is datetime.datetime:
        serial = (_minute(value) - _EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if kind is datetime.date:
        serial = (value - _EXCEL_EPOCH_DATE).days
        return f'<c r="{ref}" s="{STYLE_DATE}"><v>{serial}</v></c>'
    return _string_cell(ref, neutralise(str(value)))


class _Sink(io.RawIOBase):
    """An unseekable file the zip writes into; its bytes are taken out as
    they come (zipfile then writes sizes after each member's data)."""

    def __init__(self):
        self.chunks = []

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _column_widths(headers: list[str]) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{max(10, min(40, 2 * len(h) + 4))}" '
        'customWidth="1"/>'
        for i, h in enumerate(headers, 1)
    )
    return f"<cols>{cols}</cols>"


def xlsx_chunks(headers: list[str], batches: Iterable[list]) -> Iterator[bytes]:
    """A one-sheet workbook, its zip bytes given out batch by batch."""
    sink = _Sink()
    letters = [column_letter(i) for i in range(len(headers))]
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES_XML),
            ("_rels/.rels", ROOT_RELS_XML),
            ("xl/workbook.xml", WORKBOOK_XML),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS_XML),
            ("xl/styles.xml", STYLES_XML),
        ):
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            header_cells = "".join(
                _string_cell(f"{letter}1", neutralise(h), STYLE_HEADER)
                for letter, h in zip(letters, headers, strict=True)
            )
            sheet.write(
                (
                    XML_HEAD + f'<worksheet xmlns="{NS}"><sheetViews>'
                    '<sheetView workbookViewId="0"><pane ySplit="1" '
                    'topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    "</sheetView></sheetViews>"
                    + _column_widths(headers)
                    + f'<sheetData><row r="1">{header_cells}</row>'
                ).encode()
            )
            yield sink.take()
            number = 1
            for batch in batches:
                parts = []
                for row in batch:
                    number += 1
                    n = str(number)
                    parts.append(f'<row r="{n}">')
                    for letter, value in zip(letters, row, strict=True):
                        if type(value) is not str:
                            parts.append(xlsx_cell(letter + n, value))
                        elif value:  # text, the most common cell, inline
                            if value.startswith(FORMULA_STARTS):
                                value = "'" + value
                            parts.append(
                                f'<c r="{letter}{n}" t="inlineStr"><is>'
                                f'<t xml:space="preserve">{_text(value)}</t></is></c>'
                            )
                    parts.append("</row>")
                sheet.write("".join(parts).encode())
                yield sink.take()
            sheet.write(b"</sheetData></worksheet>")
    yield sink.take()


def chunks(export: Export, queryset, fmt: str, *, batch_size=BATCH_SIZE):
    """The file's bytes, in pieces, as the rows are read."""
    batches = _in_one_snapshot(rows(export, queryset, batch_size=batch_size))
    writer = xlsx_chunks if fmt == "xlsx" else csv_chunks
    return writer(export.headers, batches)


def write_file(export: Export, queryset, fmt: str, out) -> None:
    for piece in chunks(export, queryset, fmt):
        out.write(piece)


def filename(stem: str, fmt: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{stem}-{stamp}.{fmt}"


def response(export: Export, queryset, fmt: str) -> StreamingHttpResponse:
    streamed = StreamingHttpResponse(
        chunks(export, queryset, fmt), content_type=CONTENT_TYPES[fmt]
    )
    streamed["Content-Disposition"] = (
        f'attachment; filename="{filename(export.name, fmt)}"'
    )
    return streamed


def build(make: Callable[..., Export], *args, **kwargs) -> Export:
    """`make(...)` in the site's language: headers are Chinese whatever the
    reader's language, and so are the choice labels, so that a file exported
    in English re-imports as it is."""
    with translation.override(settings.LANGUAGE_CODE):
        return make(*args, **kwargs)


# ----------------------------------------------------------------- the view


class ExportView(RestrictedViewMixin, FilterView):
    """'Export this view': the list's filter set (filters and sort as on
    screen, so `filterset_class` is the list's), rows the user may view,
    `?format=xlsx` or CSV. Only for roles with the model's export permission;
    every export is logged (who, when, filters, format, rows).

    Set `model`, `filterset_class`, `list_url_name`; implement
    `get_export(filterset)` and, when the rows need more than the filtered
    queryset (a masking flag), `get_rows(filterset)`."""

    model_permission = "export"
    invalid_template_name = "exporting/export_invalid.html"
    list_url_name: str = ""

    def get_export(self, filterset) -> Export:
        raise NotImplementedError

    def get_rows(self, filterset):
        return filterset.qs

    def audit_target(self, export: Export) -> str:
        return export.name

    def get(self, request, *args, **kwargs):
        filterset = self.get_filterset(self.get_filterset_class())
        if filterset.is_bound and not filterset.is_valid():
            return self.invalid(filterset)
        fmt = request.GET.get("format", "csv")
        if fmt not in FORMATS:
            fmt = "csv"
        export = self.get_export(filterset)
        queryset = self.get_rows(filterset)
        query = request.GET.copy()
        query.pop("format", None)
        history.audit(
            request.user,
            SecurityEvent.Kind.EXPORT,
            self.audit_target(export),
            rows=queryset.count(),
            query=query.urlencode(),
            format=fmt,
        )
        return response(export, queryset, fmt)

    def invalid(self, filterset):
        fields = filterset.form.fields
        errors = [
            (fields[name].label if name in fields else "", texts)
            for name, texts in filterset.errors.items()
        ]
        return TemplateResponse(
            self.request,
            self.invalid_template_name,
            {"errors": errors, "list_url_name": self.list_url_name},
            status=400,
        )
