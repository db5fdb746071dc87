"""What the import of every numbered record that hangs off a customer shares
(follow-ups, tickets, opportunities): `RecordImport` matches records by their
ID and customers by 客户ID (a merged customer's ID leads to the one it was
merged into), checks permissions in chunks, writes new records in bulk and
reads their ids back by number, re-checks versions under a row lock, moves
the number sequence past imported IDs, and writes history in bulk.

The modules' specs (followups/importing.py, opportunities/importing.py)
subclass it; the engine and the hooks are in imports/.
"""

import datetime
import re
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import customfields, history
from crm.models import HistoryEntry, NumberSequence
from imports import specs
from imports.specs import ImportSpec, RowErrors

from .importing import _aliases
from .models import Customer

BATCH = 1000
# Rows per `IN (...)` look-up: under SQLite's limit on query parameters.
CHUNK = 500


def chunks(items) -> list[list]:
    items = list(items)
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def english(model, name: str) -> tuple[str, ...]:
    from django.utils import translation

    with translation.override("en"):
        return (str(model._meta.get_field(name).verbose_name), name)


# Shared parsers ------------------------------------------------------------


def number_parser(model):
    """A parser for a record's ID: its prefix, the creation day, a counter."""
    prefix = model.number_prefix
    pattern = re.compile(rf"{prefix}(?P<day>\d{{8}})(?P<seq>\d{{3,}})")

    def parse(value, ctx=None) -> str:
        code = "".join(specs.cell_text(value).split()).upper()
        match = pattern.fullmatch(code)
        valid = match is not None
        if valid:
            try:
                datetime.datetime.strptime(match["day"], "%Y%m%d")
            except ValueError:
                valid = False
        if not valid:
            raise ValidationError(
                _("An ID is %(prefix)s, the creation date and a number: %(example)s.")
                % {"prefix": prefix, "example": f"{prefix}20240315001"},
                code="invalid",
            )
        return code

    parse.pattern = pattern
    return parse


def percent(value, ctx=None) -> int:
    """A probability: 60, 60%, 0.6 is not guessed (it is 0 or 1 % then)."""
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number from 0 to 100."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = specs.cell_text(value).rstrip("%％").strip()
        try:
            number = int(text)
        except ValueError as exc:
            raise ValidationError(
                _("Enter a whole number from 0 to 100."), code="invalid"
            ) from exc
    if not 0 <= number <= 100:
        raise ValidationError(_("Enter a whole number from 0 to 100."), code="invalid")
    return number


def same(old, new) -> bool:
    """Equal as a file gives it back: a time exported to the minute is the same
    as the stored one with its seconds."""
    if old == new:
        return True
    if isinstance(old, datetime.datetime) and isinstance(new, datetime.datetime):
        return (
            new.second == 0
            and new.microsecond == 0
            and (old.replace(second=0, microsecond=0) == new)
        )
    return False


def user_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


# Shared look-ups ----------------------------------------------------------


def load_customers(nos) -> dict:
    """{customer ID: Customer} (trashed ones too; merged IDs lead to the survivor)."""
    found = {}
    for chunk in chunks(nos):
        for c in Customer._base_manager.filter(customer_no__in=chunk):
            found[c.customer_no] = c
    found.update(_aliases(set(nos) - set(found)))
    return found


def visible_pks(queryset, pks) -> set:
    result = set()
    for chunk in chunks(pks):
        result |= set(queryset.filter(pk__in=chunk).values_list("pk", flat=True))
    return result


def customers_seen_by(ctx, user_pks, customer_pks) -> set:
    """{(user pk, customer pk)} of the named users who may view the named
    customers: a few queries per distinct user, never per row."""
    pairs = set()
    users = ctx.users.users
    for pk in user_pks:
        user = users.get(pk)
        if user is None:
            continue
        for customer_pk in visible_pks(
            Customer.objects.for_user(user, "view"), customer_pks
        ):
            pairs.add((pk, customer_pk))
    return pairs


def customer_error(row, customer, viewable) -> bool:
    """The row's customer is missing, trashed or hidden: a row error."""
    if customer is None or customer.pk not in viewable:
        row.error("customer_no", _("There is no customer with this ID."))
        return True
    if customer.deleted_at is not None:
        row.error("customer_no", _("This customer is in the trash."))
        return True
    return False


# The numbered records (follow-ups, tickets, opportunities) -----------------


class RecordImport(ImportSpec):
    """A numbered record matched by its ID (`no_key`, the model's number
    field), on a customer named by 客户ID. Subclasses give the columns and
    `build(ctx, row, record)` (apply the row to a new or stored record, with
    the checks), and may add `after_write(ctx, written)`."""

    no_key = ""
    select = ()  # select_related of the stored records (what history names)
    update_fields = ()  # the fields an update may write

    # Look-ups -------------------------------------------------------------

    def resolve(self, ctx) -> None:
        model, rows = self.model, ctx.rows
        nos = {r.values[self.no_key] for r in rows if self.no_key in r.values}
        stored = {}
        base = model._base_manager.select_related(*self.select)
        for chunk in chunks(nos):
            for record in base.filter(**{f"{self.no_key}__in": chunk}):
                stored[getattr(record, self.no_key)] = record
        changeable = visible_pks(
            model.objects.for_user(ctx.user, "change"), {r.pk for r in stored.values()}
        )
        customers = load_customers(
            {r.values["customer_no"] for r in rows if "customer_no" in r.values}
        )
        ctx.cache["customers"] = customers
        ctx.cache["viewable"] = visible_pks(
            Customer.objects.for_user(ctx.user, "view"),
            {c.pk for c in customers.values()}
            | {r.customer_id for r in stored.values()},
        )
        ctx.cache["custom_fields"] = customfields.fields_for(model.custom_field_target)
        ctx.cache["now"] = timezone.now()
        self.load(ctx, stored)
        claims = {}
        for row in rows:
            if not row.ok:
                continue
            no = row.values.get(self.no_key)
            record = stored.get(no) if no else None
            if record is not None:
                if record.deleted_at is not None:
                    row.error(self.no_key, self.trashed_message())
                    continue
                if record.pk not in changeable:
                    row.error(self.no_key, self.forbidden_message())
                    continue
            if no:
                if no in claims:
                    row.error(
                        self.no_key,
                        _("Row %(row)s has the same ID; give each record one row.")
                        % {"row": claims[no]},
                    )
                    continue
                claims[no] = row.number
            row.instance = record
            self.match(ctx, row)

    def load(self, ctx, stored) -> None:
        """More bulk look-ups (the subclass's), before the rows are matched."""

    def forbidden_message(self):
        return _("You may not change the record with this ID.")

    def trashed_message(self):
        return _("The record with this ID is in the trash.")

    def match(self, ctx, row) -> None:
        """Check the row against its stored record (or as a new one) and decide
        its outcome. A new record is built again by the write, a few thousand
        at a time, rather than kept (the memory budget)."""
        record = row.instance
        customers = ctx.cache["customers"]
        if record is None:
            self.require(ctx, row, self.required_new())
            if not row.ok:
                return
            customer = customers.get(row.values["customer_no"])
            if customer_error(row, customer, ctx.cache["viewable"]):
                return
            built = self.build(ctx, row, None)
            if row.ok:
                self.check_custom(ctx, row, built)
            if row.ok:
                row.outcome = "new"
            return
        if "customer_no" in row.values:
            customer = customers.get(row.values["customer_no"])
            if customer is None or customer.pk != record.customer_id:
                row.error(
                    "customer_no",
                    _(
                        "This record belongs to another customer; an import "
                        "does not move it."
                    ),
                )
                return
        before = self.snapshot(ctx, record)
        fields = self.build(ctx, row, record)
        if not row.ok:
            return
        changes = history.diff(before, self.snapshot(ctx, record))
        row.data.update(fields=fields, changes=changes)
        row.outcome = "updated" if changes else "unchanged"

    def required_new(self) -> list[str]:
        return ["customer_no"]

    def check_custom(self, ctx, row, record) -> None:
        for cf in ctx.cache["custom_fields"]:
            if cf.required and customfields.is_empty(record.custom.get(cf.key)):
                row.error(specs.CUSTOM_PREFIX + cf.key, _("This column is required."))

    def apply_custom(self, row, record, fields: set) -> None:
        custom = dict(record.custom or {})
        custom.update(specs.custom_values(row))
        if custom != (record.custom or {}):
            record.custom = custom
            fields.add("custom")

    def snapshot(self, ctx, record) -> dict:
        """What `history.snapshot` keeps, without a query per record: the
        related records are loaded, custom fields read once."""
        data = {name: history.raw_value(record, name) for name in record.tracked_fields}
        for cf in ctx.cache["custom_fields"]:
            data[history.CUSTOM_PREFIX + cf.key] = (record.custom or {}).get(cf.key)
        return data

    def build(self, ctx, row, record):
        """Apply the row to `record` (None: a new one, returned); check; the
        set of changed fields for a stored record."""
        raise NotImplementedError

    # Writing ----------------------------------------------------------------

    def write(self, ctx) -> None:
        model, user, now = self.model, ctx.user, timezone.now()
        new = [r for r in ctx.rows if r.outcome == "new"]
        updated = [r for r in ctx.rows if r.outcome == "updated"]
        recheck_versions(model, updated, self.no_key)
        number_rows(model, new, self.no_key, lambda r: self.created(ctx, r))
        written = []
        for start in range(0, len(new), specs.INSERT_BATCH):
            batch = new[start : start + specs.INSERT_BATCH]
            records = []
            for row in batch:
                record = self.build(ctx, row, None)
                setattr(record, self.no_key, row.data["no"])
                record.created_at = row.data["created_at"]
                records.append(record)
            insert_numbered(model, records, self.no_key)
            record_history(
                model,
                user,
                HistoryEntry.Action.CREATE,
                (
                    (r.pk, r.version, history.diff({}, self.snapshot(ctx, r)))
                    for r in records
                ),
            )
            self.after_insert(ctx, records)
            written.extend(self.summary(r) for r in records)
            for row in batch:
                row.data = {}
        records = [r.instance for r in updated]
        fields = {"version", "updated_at"}
        for row in updated:
            row.instance.version += 1
            row.instance.updated_at = now
            fields |= row.data["fields"]
        if records:
            model._base_manager.bulk_update(records, sorted(fields), batch_size=BATCH)
        record_history(
            model,
            user,
            HistoryEntry.Action.UPDATE,
            ((r.instance.pk, r.instance.version, r.data["changes"]) for r in updated),
        )
        written.extend(self.summary(r) for r in records)
        self.after_write(ctx, written)

    def created(self, ctx, row):
        """The creation time of a new record (its ID carries that day)."""
        return row.values.get("created_at") or ctx.cache["now"]

    def after_insert(self, ctx, records) -> None:
        """More rows for the new records (they have their primary keys)."""

    def summary(self, record):
        """What `after_write` needs of a written record (kept small)."""
        return None

    def after_write(self, ctx, written) -> None:
        """Bulk bookkeeping once every record is written."""


def recheck_versions(model, rows, no_key) -> None:
    """Inside the transaction: the matched records, locked, are still at the
    version they were read at and not in the trash."""
    by_pk = {r.instance.pk: r for r in rows}
    errors = []
    for chunk in chunks(by_pk):
        current = (
            model._base_manager.select_for_update()
            .filter(pk__in=chunk)
            .values_list("pk", "version", "deleted_at")
        )
        for pk, version, deleted_at in current:
            row = by_pk[pk]
            if version != row.instance.version or deleted_at is not None:
                errors.append(
                    (
                        row.number,
                        no_key,
                        _(
                            "Someone changed this record during the import; "
                            "run the import again."
                        ),
                    )
                )
    if errors:
        raise RowErrors(sorted(errors))


def number_rows(model, rows, no_key, created) -> None:
    """IDs for new rows without one (`row.data["no"]`), creation times
    (`row.data["created_at"]`), and the day counters moved past the IDs the
    file brings, so NumberSequence never hands them out again: a few
    statements per creation day, not per row."""
    prefix = model.number_prefix
    pattern = re.compile(rf"{prefix}(?P<day>\d{{8}})(?P<seq>\d{{3,}})")
    days = defaultdict(lambda: [0, []])  # day → [highest imported seq, rows]
    for row in rows:
        moment = row.data["created_at"] = created(row)
        no = row.data["no"] = row.values.get(no_key, "")
        if no:
            match = pattern.fullmatch(no)
            day = datetime.datetime.strptime(match["day"], "%Y%m%d").date()
            days[day][0] = max(days[day][0], int(match["seq"]))
        else:
            days[timezone.localtime(moment).date()][1].append(row)
    starts = NumberSequence.reserve_many(
        prefix, {day: (high, len(new)) for day, (high, new) in days.items()}
    )
    for day, (_high, numbered) in days.items():
        for seq, row in enumerate(numbered, start=starts[day] + 1):
            row.data["no"] = f"{prefix}{day:%Y%m%d}{seq:03d}"


def last_pk(model) -> int:
    return model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0


def insert_numbered(model, records, no_key) -> None:
    """`specs.bulk_insert`, then the new primary keys read back by number."""
    if not records:
        return
    before = last_pk(model)
    specs.bulk_insert(model, records)
    by_no = {getattr(r, no_key): r for r in records}
    found = model._base_manager.filter(pk__gt=before).values_list(no_key, "pk")
    for no, pk in found.iterator(chunk_size=5000):
        record = by_no.get(no)
        if record is not None:
            record.pk = pk
            record._state.adding = False


def record_history(model, actor, action, rows) -> None:
    """`history.record_many` through `specs.bulk_insert`: (pk, version, changes)."""
    content_type = ContentType.objects.get_for_model(model).pk
    at = timezone.now()
    specs.bulk_insert(
        HistoryEntry,
        (
            {
                "content_type_id": content_type,
                "object_id": str(pk),
                "actor_id": actor.pk,
                "action": action,
                "changes": list(changes),
                "version": version,
                "at": at,
            }
            for pk, version, changes in rows
        ),
    )
