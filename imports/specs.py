"""What a module imports: its columns and the hooks the engine calls.

A module describes each record type it imports with an `ImportSpec` subclass
and registers an instance in its AppConfig.ready() with
`registry.add_importer(spec)`. The engine (`imports.engine.run_import`) calls
the hooks in this order, and never queries per row itself:

1. `allowed(user)`: may the user import this at all (else PermissionDenied);
2. `prepare(ctx)`: bulk look-ups from the raw cells of every row (`ctx.rows`,
   `row.cells`), kept on `ctx` (e.g. the customers the file names);
3. `parse_row(ctx, row)` per row, in pure Python: cells → `row.values`, errors
   with `row.error(column_key, message)`. The default runs each column's
   `parse(value, ctx)` and the required check; override to add rules across
   the row's columns (call super first);
4. `resolve(ctx)`: bulk matching against stored records, permission checks,
   checks across rows; sets `row.instance` (the stored record, or None) and
   `row.outcome` ("new", "updated" or "unchanged"); duplicates as
   `ctx.note(row, message)`;
5. `write(ctx)`: only when nothing failed and not a dry run, inside one
   `transaction.atomic()`; writes the rows whose outcome is "new" or "updated"
   in bulk, re-checking what may have changed since `resolve` (raise
   `RowErrors` to roll back with row errors).

Parsers raise `django.core.exceptions.ValidationError` with a message for the
user; the module-level parsers below (`text`, `amount`, `date`, `moment`,
`email`, `boolean`, `choice`, `user`, `custom_columns`) are the common ones,
built on the same `crm.parsing` functions the forms use. An empty cell is
never parsed: the column is left out of `row.values` (required columns get
"This column is required."), so an update leaves that field as it is.

`row.cells` is a view on the table's row, `row.data` free room for the spec.
Keep little per row: a hundred thousand rows must fit in 500 MB (see how
`customers.importing` rebuilds new records in the write instead of keeping
model instances, and writes with `bulk_insert`).
"""

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import (
    DecimalValidator,
    MaxLengthValidator,
    validate_email,
)
from django.utils import translation
from django.utils.translation import gettext as _

from crm import customfields, parsing, permissions
from crm.registry import registry

from .mapping import normalise_header

CUSTOM_PREFIX = "cf_"
# Tags and multiple choices in one cell: 重点客户,高潜力客户 or 重点客户、风险客户.
LIST_SEPARATORS = re.compile(r"[,，、;；\n]")


@dataclass(frozen=True)
class ColumnSpec:
    """A column of the file. `header` is the Chinese header of DESIGN §6 (and of
    the template and the export), `choices` the labels a dropdown offers,
    `aliases` more headers that name it. `parse(value, ctx)` turns a non-empty
    cell into the value (raising ValidationError); None keeps the text."""

    key: str
    header: str
    required: bool = False
    choices: list[str] | None = None
    example: str = ""
    aliases: tuple[str, ...] = ()
    parse: Callable[[Any, Any], Any] | None = None
    custom_field: Any = None


class Cells(Mapping):
    """{column key: cell as read} of a row, a view on the table's row (no
    copy per row: an import holds a hundred thousand of them)."""

    __slots__ = ("index", "raw")

    def __init__(self, raw: list, index: dict):
        self.raw, self.index = raw, index

    def __getitem__(self, key):
        return self.raw[self.index[key]]

    def get(self, key, default=None):
        i = self.index.get(key)
        return default if i is None else self.raw[i]

    def __iter__(self):
        return iter(self.index)

    def __len__(self):
        return len(self.index)


@dataclass(slots=True)
class ImportRow:
    """One data row: `cells` {column key: cell as read} of the mapped columns,
    `values` {column key: parsed value} of the non-empty ones that parsed."""

    index: int
    number: int
    cells: Mapping
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # [(column key, message)]
    instance: Any = None
    outcome: str = ""
    # Scratch room for a spec (the records the row writes, its changes).
    data: dict = field(default_factory=dict)

    def error(self, column: str, message) -> None:
        self.errors.append((column, str(message)))

    def filled(self, key: str) -> bool:
        """The column is mapped and the cell is not empty."""
        return not is_blank(self.cells.get(key))

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportContext:
    """What the hooks share for one import: the user, the columns, the rows,
    the mapped column keys, look-ups loaded in bulk (`cache`), the notes."""

    spec: Any
    user: Any
    columns: dict  # {key: ColumnSpec}
    headers: dict  # {key: header as in the file}
    rows: list
    dry_run: bool = True
    notes: list = field(default_factory=list)  # [(row number, message)]
    cache: dict = field(default_factory=dict)

    @property
    def mapped(self) -> set:
        return set(self.headers)

    def note(self, row: ImportRow, message) -> None:
        self.notes.append((row.number, str(message)))

    def cached(self, name: str, load: Callable):
        if name not in self.cache:
            self.cache[name] = load()
        return self.cache[name]

    def values(self, key: str) -> set:
        """The distinct non-empty raw cells of column `key`, as text."""
        return {cell_text(row.cells[key]) for row in self.rows if row.filled(key)} - {
            ""
        }

    @property
    def users(self) -> "UserLookup":
        return self.cached("users", UserLookup)


class RowErrors(Exception):
    """Raised by `write()` when a re-check fails: [(row number, column key,
    message)]; the transaction rolls back and the import reports them."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        self.errors = errors
        super().__init__(f"{len(errors)} row errors")


class ImportSpec:
    key = ""
    label = ""
    model = None

    def columns(self) -> list[ColumnSpec]:
        """The file's columns in template order, custom fields included."""
        raise NotImplementedError

    def allowed(self, user) -> bool:
        """Whether the user's role may create these records (imports create)."""
        return permissions.has_model_perm(user, self.model, "add")

    def prepare(self, ctx: ImportContext) -> None:
        """Bulk look-ups from the raw cells, before parsing."""

    def parse_row(self, ctx: ImportContext, row: ImportRow) -> None:
        for key in ctx.headers:
            column = ctx.columns[key]
            cell = row.cells.get(key)
            if is_blank(cell):
                if column.required:
                    row.error(key, _("This column is required."))
                continue
            try:
                value = column.parse(cell, ctx) if column.parse else cell_text(cell)
            except ValidationError as exc:
                row.error(key, " ".join(exc.messages))
                continue
            row.values[key] = value

    def require(self, ctx, row: ImportRow, keys) -> None:
        """A row error for each of `keys` that is empty (a new record needs them)."""
        for key in keys:
            if key in row.values or any(k == key for k, _m in row.errors):
                continue
            row.error(key, _("This column is required."))

    def resolve(self, ctx: ImportContext) -> None:
        """Match stored records, check permissions; set row.instance/outcome."""
        raise NotImplementedError

    def write(self, ctx: ImportContext) -> None:
        """Write the new and updated rows in bulk (inside the transaction)."""
        raise NotImplementedError


def get_spec(key: str) -> ImportSpec:
    return registry.importers[key]


def all_specs() -> list[ImportSpec]:
    return list(registry.importers.values())


# Values ------------------------------------------------------------------


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str:
    """A cell as text: 12 (a number cell) as "12", full-width as half-width."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return parsing.normalize_text(value)


def text(max_length: int | None = None, normalise=None):
    """A parser for a text column: trimmed (normalised), at most `max_length`."""

    def parse(value, ctx=None):
        result = normalise(cell_text(value)) if normalise else cell_text(value)
        if max_length is not None and len(result) > max_length:
            MaxLengthValidator(max_length)(result)
        return result

    return parse


def amount(max_digits: int = 16, decimal_places: int = 2, minimum=0):
    def parse(value, ctx=None):
        number = parsing.parse_amount(value)
        if minimum is not None and number < minimum:
            raise ValidationError(_("The amount cannot be negative."), code="min_value")
        DecimalValidator(max_digits, decimal_places)(number)
        return number

    return parse


def date(value, ctx=None):
    return parsing.parse_excel_date(value)


def moment(value, ctx=None):
    return parsing.parse_datetime(value)


def email(value, ctx=None):
    address = parsing.normalize_email(value)
    validate_email(address)
    if len(address) > 254:
        MaxLengthValidator(254)(address)
    return address


YES = {"是", "y", "yes", "true", "1", "√", "✓", "对", "主要"}
NO = {"否", "n", "no", "false", "0", "×", "不是", "非"}


def boolean(value, ctx=None):
    if isinstance(value, bool):
        return value
    word = normalise_header(cell_text(value))
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValidationError(_("Enter 是 (yes) or 否 (no)."), code="invalid")


def split_list(value) -> list[str]:
    parts = LIST_SEPARATORS.split(cell_text(value))
    seen = []
    for part in (p.strip() for p in parts):
        if part and part not in seen:
            seen.append(part)
    return seen


def choice_labels(choices) -> list[str]:
    """The Chinese labels of a model field's choices (what a dropdown offers)."""
    with translation.override("zh-hans"):
        return [str(label) for _code, label in choices]


def choice(choices):
    """A parser for a choice column: the label (Chinese or English) or the code."""
    lookup = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in choices:
                lookup.setdefault(normalise_header(str(label)), code)
    for code, _label in choices:
        lookup.setdefault(normalise_header(code), code)

    def parse(value, ctx=None):
        code = lookup.get(normalise_header(cell_text(value)))
        if code is None:
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {
                    "value": cell_text(value),
                    "choices": "、".join(choice_labels(choices)),
                },
                code="invalid_choice",
            )
        return code

    return parse


class UserLookup:
    """Active users by username or full name (张伟, 伟 张, 张 伟), loaded once."""

    def __init__(self):
        self.by_name = defaultdict(set)
        self.users = {}
        for user in get_user_model().objects.filter(is_active=True):
            self.users[user.pk] = user
            names = {
                user.username,
                user.get_full_name(),
                f"{user.last_name}{user.first_name}",
                f"{user.last_name} {user.first_name}",
            }
            for name in names:
                if normalise_header(name):
                    self.by_name[normalise_header(name)].add(user.pk)

    def find(self, value):
        """The user `value` names; ValidationError when none or several."""
        name = cell_text(value)
        found = self.by_name.get(normalise_header(name), set())
        exact = [pk for pk in found if self.users[pk].username == name]
        if exact:
            return self.users[exact[0]]
        if len(found) == 1:
            return self.users[next(iter(found))]
        if not found:
            raise ValidationError(
                _("There is no active user “%(name)s” (enter a username or full name).")
                % {"name": name},
                code="unknown_user",
            )
        raise ValidationError(
            _("Several users are called “%(name)s”; enter the username instead.")
            % {"name": name},
            code="ambiguous_user",
        )


def user(value, ctx):
    return ctx.users.find(value)


# Custom fields -----------------------------------------------------------


def custom_columns(target: str) -> list[ColumnSpec]:
    """A column per custom field of `target`, named by its label."""
    T = customfields.T
    columns = []
    for cf in customfields.fields_for(target):
        choices = (
            cf.choice_list if cf.field_type in (T.CHOICE, T.MULTI_CHOICE) else None
        )
        if cf.field_type == T.BOOLEAN:
            choices = ["是", "否"]
        columns.append(
            ColumnSpec(
                key=CUSTOM_PREFIX + cf.key,
                header=cf.label,
                required=cf.required,
                choices=choices,
                example=_custom_example(cf),
                aliases=(cf.key,),
                parse=_custom_parser(cf),
                custom_field=cf,
            )
        )
    return columns


def _custom_example(cf) -> str:
    T = customfields.T
    return {
        T.INTEGER: "10",
        T.DECIMAL: "1000.00",
        T.DATE: "2024-03-15",
        T.BOOLEAN: "是",
        T.CHOICE: (cf.choice_list or [""])[0],
        T.MULTI_CHOICE: (cf.choice_list or [""])[0],
    }.get(cf.field_type, "")


def _custom_parser(cf):
    """Cell → the JSON value `custom` stores, by the field's type."""
    T = customfields.T

    def parse(value, ctx=None):
        match cf.field_type:
            case T.INTEGER:
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
                try:
                    return int(cell_text(value).replace(",", ""))
                except ValueError as exc:
                    raise ValidationError(
                        _("Enter a whole number."), code="invalid"
                    ) from exc
            case T.DECIMAL:
                return customfields.to_json(
                    amount(
                        customfields.DECIMAL_DIGITS,
                        customfields.DECIMAL_PLACES,
                        minimum=None,
                    )(value)
                )
            case T.DATE:
                return parsing.parse_excel_date(value).isoformat()
            case T.BOOLEAN:
                return boolean(value)
            case T.CHOICE:
                return _one_choice(cf, cell_text(value))
            case T.MULTI_CHOICE:
                return [_one_choice(cf, part) for part in split_list(value)]
            case T.LONG_TEXT:
                return str(value).strip()
        return text(customfields.TEXT_MAX_LENGTH)(value)

    return parse


def _one_choice(cf, value: str) -> str:
    wanted = normalise_header(value)
    for option in cf.choice_list:
        if normalise_header(option) == wanted:
            return option
    raise ValidationError(
        _("“%(value)s” is not one of: %(choices)s.")
        % {"value": value, "choices": "、".join(cf.choice_list)},
        code="invalid_choice",
    )


def custom_values(row: ImportRow) -> dict:
    """{custom field key: value} of the row's non-empty custom columns."""
    return {
        key[len(CUSTOM_PREFIX) :]: value
        for key, value in row.values.items()
        if key.startswith(CUSTOM_PREFIX)
    }


# Writing ---------------------------------------------------------------------

INSERT_BATCH = 2000
PLAIN_TYPES = {
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "BooleanField",
}


def bulk_insert(model, rows) -> int:
    """INSERT `rows` into `model`'s table with one prepared statement run
    over every row (executemany): for the hundred thousand rows of an
    import, where `bulk_create`'s SQL compiling per value costs more than the
    database does. `rows` are model instances or {field name: value} dicts;
    values go through each field's `get_db_prep_save` (JSON, dates, decimals,
    time zones as the ORM writes them), defaults and auto_now fill the gaps.
    Primary keys are not read back: look rows up by a unique column."""
    from django.db import connections, router
    from django.db.models.fields import NOT_PROVIDED

    connection = connections[router.db_for_write(model)]
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: E501
    stamped = [
        f
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    # Text, numbers, flags and foreign keys go to the driver as they are
    # (what get_db_prep_save would return); the rest is prepared by its field.
    simple = [f.get_internal_type() in PLAIN_TYPES or f.is_relation for f in fields]
    attnames = [f.attname for f in fields]
    now = None
    batch, count = [], 0

    def flush():
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)

    for row in rows:
        if isinstance(row, dict):
            values = []
            for f, plain in zip(fields, simple, strict=True):
                if f.name in row:
                    value = row[f.name]
                elif f.attname in row:
                    value = row[f.attname]
                elif f in stamped:
                    if now is None:
                        from django.utils import timezone

                        now = timezone.now()
                    value = now
                elif f.default is not NOT_PROVIDED:
                    value = f.get_default()
                else:
                    value = None
                if not (plain and (value is None or type(value) in (str, int, bool))):
                    value = f.get_db_prep_save(value, connection)
                values.append(value)
        else:
            for f in stamped:
                f.pre_save(row, add=True)
            values = [
                value
                if plain and (value is None or type(value) in (str, int, bool))
                else f.get_db_prep_save(value, connection)
                for f, plain, value in zip(
                    fields,
                    simple,
                    [getattr(row, a) for a in attnames],
                    strict=True,
                )
            ]
        batch.append(values)
        count += 1
        if len(batch) >= INSERT_BATCH:
            flush()
            batch = []
    if batch:
        flush()
    return count
