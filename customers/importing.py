"""Importing customers (with their primary contact) and contacts (DESIGN §6).

The columns are the export's (`resources.CustomerResource`), so an exported
file re-imports as it is. Everything is looked up in bulk and written in
bulk, leaving what `services.customer_create` / `customer_update` leave: the
history entry of each record (`history.record_many`), the holders' grants as
security events, numbers that the sequence will never hand out again.
"""

import datetime
import re
from collections import defaultdict
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import customfields, history, permissions
from crm.models import CustomField, HistoryEntry, NumberSequence, SecurityEvent
from imports import specs
from imports.specs import ColumnSpec, ImportSpec, RowErrors

from .models import (
    Contact,
    Customer,
    CustomerUserObjectPermission,
    Industry,
    Region,
    Tag,
    contact_records,
)
from .validators import (
    normalize_credit_code,
    normalize_name,
    normalize_phone,
    validate_credit_code,
)

BATCH = 1000
# Rows per `IN (...)` look-up: under SQLite's limit on query parameters.
CHUNK = 500
CUSTOMER_NO = re.compile(r"C(?P<day>\d{8})(?P<seq>\d{3,})")
CONTACT_KEYS = ("contact_name", "contact_title", "contact_phone", "contact_email")
CONTACT_FIELDS = {
    "contact_name": "name",
    "contact_title": "title",
    "contact_phone": "phone",
    "contact_email": "email",
}


def _chunks(items) -> list[list]:
    items = list(items)
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


# The headers of DESIGN §6: the template's and the export's
# (`resources.customer_export`), so an exported file re-imports as it is.
HEADERS = {
    "customer_no": "客户ID",
    "name": "客户名称",
    "credit_code": "统一社会信用代码",
    "type": "客户类型",
    "industry": "所属行业",
    "size": "公司规模",
    "region": "省份",
    "city": "城市",
    "address": "注册地址",
    "level": "客户等级",
    "status": "客户状态",
    "first_cooperation_date": "首次合作时间",
    "historical_amount": "历史合作金额",
    "products": "合作产品/服务",
    "tags": "客户标签",
    "owner": "负责人",
    "success_manager": "客户成功经理",
    "renewal_date": "续约日期",
    "contact_name": "联系人姓名",
    "contact_title": "联系人职务",
    "contact_phone": "联系方式",
    "contact_email": "邮箱",
    "created_at": "创建时间",
}


def _headers() -> dict[str, str]:
    return HEADERS


def _english(model, name: str) -> tuple[str, ...]:
    from django.utils import translation

    with translation.override("en"):
        return (str(model._meta.get_field(name).verbose_name),)


def parse_customer_no(value, ctx=None) -> str:
    code = "".join(specs.cell_text(value).split()).upper()
    match = CUSTOMER_NO.fullmatch(code)
    valid = match is not None
    if valid:
        try:
            datetime.datetime.strptime(match["day"], "%Y%m%d")
        except ValueError:
            valid = False
    if not valid:
        raise ValidationError(
            _("A customer ID is C, the creation date and a number: C20240315001."),
            code="invalid",
        )
    return code


def parse_credit_code(value, ctx=None) -> str:
    code = normalize_credit_code(specs.cell_text(value))
    validate_credit_code(code)
    return code


def parse_phone(value, ctx=None) -> str:
    return normalize_phone(specs.cell_text(value))


class Lookups:
    """Reference data read once per import: industries, provinces, tags."""

    def __init__(self):
        self.industries = {}
        for industry in Industry.objects.all():
            for name in (
                industry.code,
                industry.name,
                f"{industry.code}{industry.name}",
                industry.full_name,
            ):
                self.industries.setdefault(specs.normalise_header(name), industry)
        self.regions = {}
        for region in Region.objects.all():
            # `Region.objects.lookup`'s rule: with or without the suffix.
            for name in (region.name, region.short_name):
                self.regions.setdefault(specs.normalise_header(name), region)
        self.tags = {specs.normalise_header(t.name): t for t in Tag.objects.all()}


def _lookups(ctx) -> Lookups:
    return ctx.cached("customer_lookups", Lookups)


def parse_industry(value, ctx):
    text = specs.cell_text(value)
    found = _lookups(ctx).industries.get(specs.normalise_header(text))
    if found is None:
        raise ValidationError(
            _(
                "“%(value)s” is not a GB/T 4754 division; enter its code (65) "
                "or its name (软件和信息技术服务业)."
            )
            % {"value": text},
            code="invalid",
        )
    return found


def parse_region(value, ctx):
    text = specs.cell_text(value)
    found = _lookups(ctx).regions.get(specs.normalise_header(text))
    if found is None:
        raise ValidationError(
            _("“%(value)s” is not a province; enter it as 上海 or 上海市.")
            % {"value": text},
            code="invalid",
        )
    return found


def parse_tags(value, ctx) -> list:
    """Tag names; unknown ones are created when the user may add tags."""
    names = specs.split_list(value)
    known = _lookups(ctx).tags
    may_add = ctx.cached(
        "may_add_tags", lambda: permissions.has_model_perm(ctx.user, Tag, "add")
    )
    max_length = Tag._meta.get_field("name").max_length
    result = []
    for name in names:
        tag = known.get(specs.normalise_header(name))
        if tag is None:
            if not may_add:
                raise ValidationError(
                    _("There is no tag “%(name)s”; an administrator can add it.")
                    % {"name": name},
                    code="unknown_tag",
                )
            if len(name) > max_length:
                MaxLengthValidator(max_length)(name)
            # Created with the import (write), shared by every row naming it.
            tag = known[specs.normalise_header(name)] = Tag(name=name)
        result.append(tag)
    return result


def _text_column(key, header, model=Customer, normalise=None, **kwargs):
    field = model._meta.get_field(key) if model else None
    return ColumnSpec(
        key=key,
        header=header,
        aliases=_english(model, key) if model else (),
        parse=specs.text(field.max_length if field else None, normalise),
        **kwargs,
    )


def _choice_column(key, header, example=""):
    field = Customer._meta.get_field(key)
    return ColumnSpec(
        key=key,
        header=header,
        choices=specs.choice_labels(field.choices),
        example=example or specs.choice_labels(field.choices)[0],
        aliases=_english(Customer, key),
        parse=specs.choice(field.choices),
    )


class CustomerImport(ImportSpec):
    key = "customers"
    label = gettext_lazy("Customers")
    model = Customer

    def columns(self) -> list[ColumnSpec]:
        h = _headers()
        contact_max = {
            key: Contact._meta.get_field(name).max_length
            for key, name in CONTACT_FIELDS.items()
        }
        return [
            ColumnSpec(
                "customer_no",
                h["customer_no"],
                example="C20240315001",
                aliases=_english(Customer, "customer_no"),
                parse=parse_customer_no,
            ),
            _text_column(
                "name",
                h["name"],
                normalise=normalize_name,
                required=True,
                example="上海示例科技有限公司",
            ),
            ColumnSpec(
                "credit_code",
                h["credit_code"],
                example="91310000MA1FL8XQ3B",
                aliases=(*_english(Customer, "credit_code"), "信用代码"),
                parse=parse_credit_code,
            ),
            _choice_column("type", h["type"]),
            ColumnSpec(
                "industry",
                h["industry"],
                example="软件和信息技术服务业",
                aliases=(*_english(Customer, "industry"), "行业"),
                parse=parse_industry,
            ),
            _choice_column("size", h["size"]),
            ColumnSpec(
                "region",
                h["region"],
                example="上海",
                aliases=(*_english(Customer, "region"), "省份/地区", "地区"),
                parse=parse_region,
            ),
            _text_column("city", h["city"], example="上海"),
            _text_column("address", h["address"], example="上海市浦东新区示例路1号"),
            _choice_column("level", h["level"], example="B"),
            _choice_column("status", h["status"]),
            ColumnSpec(
                "first_cooperation_date",
                h["first_cooperation_date"],
                example="2023-06-01",
                aliases=_english(Customer, "first_cooperation_date"),
                parse=specs.date,
            ),
            ColumnSpec(
                "historical_amount",
                h["historical_amount"],
                example="500000",
                aliases=_english(Customer, "historical_amount"),
                parse=specs.amount(16, 2),
            ),
            _text_column("products", h["products"], example="CRM 软件"),
            ColumnSpec(
                "tags",
                h["tags"],
                example="重点客户,高潜力客户",
                aliases=(*_english(Customer, "tags"), "标签"),
                parse=parse_tags,
            ),
            ColumnSpec(
                "owner",
                h["owner"],
                example="rep1",
                aliases=_english(Customer, "owner"),
                parse=specs.user,
            ),
            ColumnSpec(
                "success_manager",
                h["success_manager"],
                aliases=_english(Customer, "success_manager"),
                parse=specs.user,
            ),
            ColumnSpec(
                "renewal_date",
                h["renewal_date"],
                aliases=_english(Customer, "renewal_date"),
                parse=specs.date,
            ),
            ColumnSpec(
                "contact_name",
                h["contact_name"],
                example="张伟",
                aliases=("contact name",),
                parse=specs.text(contact_max["contact_name"], normalize_name),
            ),
            ColumnSpec(
                "contact_title",
                h["contact_title"],
                example="采购总监",
                aliases=("contact title", "job title"),
                parse=specs.text(contact_max["contact_title"]),
            ),
            ColumnSpec(
                "contact_phone",
                h["contact_phone"],
                example="13812345678",
                aliases=("phone", "联系电话", "电话", "手机"),
                parse=parse_phone,
            ),
            ColumnSpec(
                "contact_email",
                h["contact_email"],
                example="zhangwei@example.com",
                aliases=("email", "e-mail", "电子邮箱"),
                parse=specs.email,
            ),
            ColumnSpec(
                "created_at",
                h["created_at"],
                example="2024-03-15 14:30",
                aliases=_english(Customer, "created_at"),
                parse=specs.moment,
            ),
            *specs.custom_columns(CustomField.Target.CUSTOMER),
        ]

    def prepare(self, ctx) -> None:
        _lookups(ctx)
        ctx.cache["custom_fields"] = [
            c.custom_field for c in ctx.columns.values() if c.custom_field
        ]

    def parse_row(self, ctx, row) -> None:
        super().parse_row(ctx, row)
        if any(k in row.values for k in CONTACT_KEYS[1:]) and not row.filled(
            "contact_name"
        ):
            row.error("contact_name", _("Enter the contact's name."))

    # Matching ----------------------------------------------------------

    def resolve(self, ctx) -> None:
        rows = ctx.rows
        stored = _load_matches(rows)
        changeable = _changeable(ctx.user, stored.candidates())
        claims = {}  # identity → row number, for rows naming the same customer
        codes = {}  # credit code → row number
        for row in rows:
            instance = self._match(row, stored)
            if instance is False:
                continue
            if instance is not None and instance.pk not in changeable:
                row.error(
                    _key_column(row),
                    _("You may not change the customer this row matches."),
                )
                continue
            identity = (
                instance.pk
                if instance is not None
                else row.values.get("customer_no")
                or row.values.get("credit_code")
                or row.values.get("name")
            )
            if identity in claims:
                row.error(
                    _key_column(row),
                    _("Row %(row)s is the same customer; give each one row.")
                    % {"row": claims[identity]},
                )
                continue
            claims[identity] = row.number
            code = row.values.get("credit_code")
            if code:
                if code in codes:
                    row.error(
                        "credit_code",
                        _("Row %(row)s has the same unified social credit code.")
                        % {"row": codes[code]},
                    )
                    continue
                codes[code] = row.number
                other = stored.by_code.get(code)
                if other is not None and (instance is None or other.pk != instance.pk):
                    row.error(
                        "credit_code",
                        _(
                            "Another customer already has this unified social "
                            "credit code."
                        ),
                    )
                    continue
            row.instance = instance
        _prefetch(rows)
        state = ctx.cache["state"] = _State(ctx)
        for row in rows:
            if row.ok:
                state.apply(row)
        _notes(ctx)

    def _match(self, row, stored):
        """The stored customer of the row, None for a new one, False on error."""
        values = row.values
        if row.errors:
            return False
        no = values.get("customer_no")
        if no:
            found = stored.by_no.get(no)
            if found is not None:
                if found.deleted_at is not None:
                    row.error("customer_no", _("This customer is in the trash."))
                    return False
                return found
            return None
        code = values.get("credit_code")
        if code and code in stored.by_code:
            found = stored.by_code[code]
            if found.deleted_at is not None:
                row.error(
                    "credit_code",
                    _(
                        "A customer in the trash has this unified social credit "
                        "code; an administrator can restore it."
                    ),
                )
                return False
            return found
        named = stored.by_name.get(values.get("name"), [])
        if len(named) > 1:
            row.error(
                "name",
                _(
                    "Several customers have this name; add the 客户ID column to "
                    "say which one."
                ),
            )
            return False
        return named[0] if named else None

    # Writing -----------------------------------------------------------

    def write(self, ctx) -> None:
        user, now = ctx.user, timezone.now()
        new = [r for r in ctx.rows if r.outcome == "new"]
        updated = [r for r in ctx.rows if r.outcome == "updated"]
        _recheck_versions(updated)
        tags = [
            t for t in _lookups(ctx).tags.values() if t.pk is None
        ]  # created by this import
        Tag.objects.bulk_create(tags, batch_size=BATCH)
        _number(new)
        state, granted = ctx.cache["state"], defaultdict(list)
        for start in range(0, len(new), specs.INSERT_BATCH):
            chunk = new[start : start + specs.INSERT_BATCH]
            for row in chunk:
                state.apply(row, rebuild=True)
            _insert_customers([r.data["customer"] for r in chunk])
            _write_tags(chunk)
            _write_contacts(chunk)
            record_many(
                user,
                HistoryEntry.Action.CREATE,
                ((r.data["customer"].pk, 1, _changes(r)) for r in chunk),
            )
            for row in chunk:
                c = row.data["customer"]
                granted[(c.owner, "owner")].append(c.customer_no)
                if c.success_manager is not None:
                    granted[(c.success_manager, "success_manager")].append(
                        c.customer_no
                    )
                row.data = {}
        for row in updated:
            c = row.data["customer"]
            c.version += 1
            c.updated_at = now
        fields = {"version", "updated_at"}
        for row in updated:
            fields |= row.data["fields"]
        if updated:
            Customer.objects.bulk_update(
                [r.data["customer"] for r in updated], sorted(fields), batch_size=BATCH
            )
        _write_tags(updated)
        _write_contacts(updated)
        record_many(
            user,
            HistoryEntry.Action.UPDATE,
            (
                (r.data["customer"].pk, r.data["customer"].version, _changes(r))
                for r in updated
            ),
        )
        _audit_holders(user, granted, updated)


# Look-ups -------------------------------------------------------------------


class _Stored:
    def __init__(self):
        self.by_no, self.by_code, self.by_name = {}, {}, defaultdict(list)

    def candidates(self) -> set:
        found = {c.pk for c in self.by_no.values()} | {
            c.pk for c in self.by_code.values()
        }
        for group in self.by_name.values():
            found |= {c.pk for c in group}
        return found


def _load_matches(rows) -> _Stored:
    """The stored customers the rows name by ID, credit code or exact name,
    in a few queries per 500 rows (trashed ones too for IDs and codes)."""
    stored = _Stored()
    nos = {r.values["customer_no"] for r in rows if "customer_no" in r.values}
    codes = {r.values["credit_code"] for r in rows if "credit_code" in r.values}
    names = {
        r.values["name"]
        for r in rows
        if "name" in r.values and "customer_no" not in r.values
    }
    base = Customer._base_manager.select_related(
        "owner", "success_manager", "industry", "region"
    )
    seen = {}

    def keep(customer):
        return seen.setdefault(customer.pk, customer)

    for chunk in _chunks(nos):
        for c in base.filter(customer_no__in=chunk):
            stored.by_no[c.customer_no] = keep(c)
    aliases = _aliases(nos - set(stored.by_no))
    for no, c in aliases.items():
        stored.by_no[no] = keep(c)
    for chunk in _chunks(codes):
        for c in base.filter(credit_code__in=chunk):
            stored.by_code[c.credit_code] = keep(c)
    for chunk in _chunks(names):
        for c in base.filter(name__in=chunk, deleted_at__isnull=True):
            stored.by_name[c.name].append(keep(c))
    return stored


def _aliases(nos) -> dict:
    """Customer IDs of customers merged into others: they lead to the survivor."""
    try:
        from .models import CustomerAlias
    except ImportError:  # pragma: no cover - before merging existed
        return {}
    found = {}
    base = Customer._base_manager.select_related(
        "owner", "success_manager", "industry", "region"
    )
    for chunk in _chunks(nos):
        for alias in CustomerAlias.objects.filter(customer_no__in=chunk):
            found[alias.customer_no] = alias.customer_id
    customers = base.in_bulk(set(found.values())) if found else {}
    return {no: customers[pk] for no, pk in found.items() if pk in customers}


def _changeable(user, pks) -> set:
    changeable = set()
    for chunk in _chunks(pks):
        changeable |= set(
            Customer.objects.for_user(user, "change")
            .filter(pk__in=chunk)
            .values_list("pk", flat=True)
        )
    return changeable


def _prefetch(rows) -> None:
    """Tags and contacts of the matched customers, a few queries in all."""
    matched = {r.instance.pk: r.instance for r in rows if r.instance is not None}
    tags, contacts = defaultdict(list), defaultdict(list)
    links = Customer.tags.through.objects.select_related("tag")
    for chunk in _chunks(matched):
        for link in links.filter(customer_id__in=chunk):
            tags[link.customer_id].append(link.tag)
        for contact in Contact.objects.filter(customer_id__in=chunk).order_by(
            "-is_primary", "id"
        ):
            contacts[contact.customer_id].append(contact)
    for pk, customer in matched.items():
        customer._import_tags = tags[pk]
        customer._import_contacts = contacts[pk]


def _key_column(row) -> str:
    for key in ("customer_no", "credit_code", "name"):
        if key in row.values:
            return key
    return "name"


class _State:
    """Applies a parsed row to its customer (a new one, or the stored one) and
    decides new / updated / unchanged, with the history changes."""

    FIELDS = [
        f
        for f in Customer.tracked_fields
        if f not in ("owner", "success_manager", "industry", "region")
    ]

    def __init__(self, ctx):
        self.ctx = ctx
        self.user = ctx.user
        self.today = timezone.localdate()
        self.custom_fields = ctx.cache["custom_fields"]
        self.all_custom = customfields.fields_for(CustomField.Target.CUSTOMER)
        self.may_reassign = permissions.has_model_perm(self.user, Customer, "reassign")
        owners = permissions.users_with_model_perm(Customer, "add")
        managers = permissions.users_with_model_perm(Customer, "manage_success")
        self.owner_ids = set(owners.values_list("pk", flat=True))
        self.manager_ids = set(managers.values_list("pk", flat=True))
        self.required_custom = [cf for cf in self.all_custom if cf.required]

    def snapshot(self, c: Customer, tags, contacts) -> dict:
        data = {name: history.raw_value(c, name) for name in Customer.tracked_fields}
        data["tags"] = sorted(t.name for t in tags)
        for cf in self.all_custom:
            data[history.CUSTOM_PREFIX + cf.key] = c.custom.get(cf.key)
        data["contacts"] = contact_records(contacts)
        return data

    def apply(self, row, *, rebuild: bool = False) -> None:
        """Decide the row's outcome. A new customer is built again by the
        write (`rebuild`), a few thousand at a time, rather than kept: a
        hundred thousand model instances would not fit the memory budget."""
        values, c = row.values, row.instance
        is_new = c is None
        if is_new and not rebuild:
            # Only the checks: the customer itself is built by the write.
            owner = values.get("owner") or self.user
            manager = values.get("success_manager")
            stub = SimpleNamespace(
                owner=owner,
                owner_id=owner.pk,
                success_manager=manager,
                success_manager_id=getattr(manager, "pk", None),
                first_cooperation_date=values.get("first_cooperation_date"),
                renewal_date=values.get("renewal_date"),
                custom=specs.custom_values(row),
            )
            self._check(row, stub, True, None, None, None)
            if row.ok:
                row.outcome = "new"
            return
        if is_new:
            c = Customer(created_by=self.user, custom={})
            before = {}
            tags, contacts = [], []
        else:
            tags, contacts = c._import_tags, c._import_contacts
            before = self.snapshot(c, tags, contacts)
        old_owner, old_manager = c.owner_id, c.success_manager_id
        loaded_first = c.first_cooperation_date
        fields = set()
        for name in self.FIELDS:
            if name in values and getattr(c, name) != values[name]:
                setattr(c, name, values[name])
                fields.add(name)
        for name in ("owner", "success_manager", "industry", "region"):
            if name in values and getattr(c, f"{name}_id") != values[name].pk:
                setattr(c, name, values[name])
                fields.add(name)
        if is_new:
            c.customer_no = row.data.get("customer_no") or values.get("customer_no", "")
            c.created_at = row.data.get("created_at") or values.get("created_at")
            if c.owner_id is None:
                c.owner = self.user
        custom = dict(c.custom or {})
        for key, value in specs.custom_values(row).items():
            custom[key] = value
        if custom != (c.custom or {}):
            c.custom = custom
            fields.add("custom")
        if "tags" in values:
            new_tags = values["tags"]
            if {t.name for t in new_tags} != {t.name for t in tags}:
                row.data["tags"] = new_tags
                tags = new_tags
        contacts, contact = self._contact(row, contacts)
        if not rebuild:
            self._check(row, c, is_new, old_owner, old_manager, loaded_first)
            if not row.ok:
                return
        # A new customer's changes are all its values, taken when it is
        # written (its contact has an id then); an update's are the diff.
        changes = (
            None if is_new else history.diff(before, self.snapshot(c, tags, contacts))
        )
        row.data.update(
            snapshot=self.snapshot,
            all_tags=tags,
            customer=c,
            fields=fields,
            before_contacts=before.get("contacts", []),
            contacts=contacts,
            contact=contact,
            old_owner=old_owner,
            old_manager=old_manager,
        )
        row.data["changes"] = changes
        if is_new:
            row.outcome = "new"
        else:
            row.outcome = "updated" if changes else "unchanged"

    def _contact(self, row, contacts):
        """The primary contact the row's contact columns give (changed in place,
        or a new one), and the customer's contacts after the row."""
        values = row.values
        # Like the customer's own columns, an empty cell leaves a value as it is.
        given = {
            field: values[key] for key, field in CONTACT_FIELDS.items() if key in values
        }
        if not given.get("name"):
            return contacts, None
        primary = next((x for x in contacts if x.is_primary), None)
        if primary is not None and primary.name != given["name"]:
            # Another person: added as a contact; the primary one stays.
            same = next((x for x in contacts if x.name == given["name"]), None)
            if same is None:
                contact = Contact(
                    is_primary=False, **{"title": "", "phone": "", "email": "", **given}
                )
                return [*contacts, contact], contact
            primary = same
        if primary is None:
            contact = Contact(
                is_primary=True, **{"title": "", "phone": "", "email": "", **given}
            )
            return [*contacts, contact], contact
        changed = {f: v for f, v in given.items() if getattr(primary, f) != v}
        if not changed:
            return contacts, None
        copy = Contact(
            pk=primary.pk,
            customer_id=primary.customer_id,
            name=primary.name,
            title=primary.title,
            phone=primary.phone,
            email=primary.email,
            is_primary=primary.is_primary,
            note=primary.note,
        )
        for f, v in changed.items():
            setattr(copy, f, v)
        return [copy if x.pk == primary.pk else x for x in contacts], copy

    def _check(self, row, c, is_new, old_owner, old_manager, loaded_first) -> None:
        """The rules of the form and the services that span columns or need
        the stored record: holders, dates, required custom fields."""
        if c.owner_id != old_owner:
            if not self.may_reassign and not (is_new and c.owner_id == self.user.pk):
                row.error(
                    "owner",
                    _("You may only import customers you own yourself."),
                )
            elif c.owner_id not in self.owner_ids:
                row.error(
                    "owner",
                    _("%(user)s's role cannot own customers; choose a sales colleague.")
                    % {"user": _name(c.owner)},
                )
        if (
            c.success_manager_id
            and c.success_manager_id != old_manager
            and c.success_manager_id not in self.manager_ids
        ):
            row.error(
                "success_manager",
                _(
                    "%(user)s's role does not look after customers; choose a "
                    "customer success colleague."
                )
                % {"user": _name(c.success_manager)},
            )
        first, renewal = c.first_cooperation_date, c.renewal_date
        if (
            "first_cooperation_date" in row.values
            and first
            and first > self.today
            and loaded_first != first
        ):
            row.error(
                "first_cooperation_date",
                _("It cannot be after today (%(today)s).")
                % {"today": self.today.isoformat()},
            )
        if (
            ("renewal_date" in row.values or "first_cooperation_date" in row.values)
            and first
            and renewal
            and renewal < first
        ):
            row.error(
                "renewal_date"
                if "renewal_date" in row.values
                else "first_cooperation_date",
                _("It cannot be before the first cooperation date (%(first)s).")
                % {"first": first.isoformat()},
            )
        if is_new:
            for cf in self.required_custom:
                if customfields.is_empty(c.custom.get(cf.key)):
                    row.error(
                        specs.CUSTOM_PREFIX + cf.key,
                        _("This column is required."),
                    )


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _recheck_versions(rows) -> None:
    """Inside the transaction: the matched customers, locked, are still at the
    version they were read at (nobody saved them during the dry run)."""
    by_pk = {r.data["customer"].pk: r for r in rows}
    errors = []
    for chunk in _chunks(by_pk):
        current = (
            Customer._base_manager.select_for_update()
            .filter(pk__in=chunk)
            .values_list("pk", "version", "deleted_at")
        )
        for pk, version, deleted_at in current:
            row = by_pk[pk]
            if version != row.data["customer"].version or deleted_at is not None:
                errors.append(
                    (
                        row.number,
                        _key_column(row),
                        _(
                            "Someone changed this customer during the import; "
                            "run the import again."
                        ),
                    )
                )
    if errors:
        raise RowErrors(sorted(errors))


def _number(rows) -> None:
    """Customer IDs for new rows without one, and the day counters moved past
    the IDs the file brings (NumberSequence never hands them out again); a
    few statements per creation day, not per row."""
    days = defaultdict(lambda: [0, []])  # day → [highest imported seq, rows to number]
    now = timezone.now()
    for row in rows:
        created = row.data["created_at"] = row.values.get("created_at") or now
        no = row.values.get("customer_no")
        if no:
            match = CUSTOMER_NO.fullmatch(no)
            day = datetime.datetime.strptime(match["day"], "%Y%m%d").date()
            days[day][0] = max(days[day][0], int(match["seq"]))
        else:
            days[timezone.localtime(created).date()][1].append(row)
    prefix = Customer.number_prefix
    starts = NumberSequence.reserve_many(
        prefix, {day: (high, len(new)) for day, (high, new) in days.items()}
    )
    for day, (_high, numbered) in days.items():
        for seq, row in enumerate(numbered, start=starts[day] + 1):
            row.data["customer_no"] = f"{prefix}{day:%Y%m%d}{seq:03d}"


def _insert_customers(customers) -> None:
    """`specs.bulk_insert`, then the new primary keys read back by customer ID."""
    if not customers:
        return
    before = _last_pk(Customer)
    specs.bulk_insert(Customer, customers)
    by_no = {c.customer_no: c for c in customers}
    # Read back in one range scan (customer IDs are unique).
    rows = Customer._base_manager.filter(pk__gt=before).values_list("customer_no", "pk")
    for no, pk in rows.iterator(chunk_size=5000):
        c = by_no.get(no)
        if c is not None:
            c.pk = pk
            c._state.adding = False


def _last_pk(model) -> int:
    return model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0


def record_many(actor, action, rows) -> None:
    """`history.record_many` for customers through `specs.bulk_insert`."""
    content_type = ContentType.objects.get_for_model(Customer).pk
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


def _write_tags(rows) -> None:
    through = Customer.tags.through
    drop = [
        r.data["customer"].pk
        for r in rows
        if "tags" in r.data and r.outcome == "updated"
    ]
    for chunk in _chunks(drop):
        through.objects.filter(customer_id__in=chunk).delete()
    specs.bulk_insert(
        through,
        (
            {"customer_id": r.data["customer"].pk, "tag_id": tag.pk}
            for r in rows
            if "tags" in r.data
            for tag in r.data["tags"]
        ),
    )


def _write_contacts(rows) -> None:
    new, changed = [], []
    for row in rows:
        contact = row.data.get("contact")
        if contact is None:
            continue
        contact.customer_id = row.data["customer"].pk
        (new if contact.pk is None else changed).append(contact)
    _insert_contacts(new)
    Contact.objects.bulk_update(
        changed, ["name", "title", "phone", "email"], batch_size=BATCH
    )


def _insert_contacts(contacts) -> None:
    """New contacts, their primary keys read back (history keeps them) by
    customer and name (a customer's new contacts have distinct names)."""
    if not contacts:
        return
    before = _last_pk(Contact)
    specs.bulk_insert(Contact, contacts)
    by_key = {(c.customer_id, c.name): c for c in contacts}
    rows = (
        Contact.objects.filter(pk__gt=before)
        .order_by("pk")
        .values_list("customer_id", "name", "pk")
    )
    for customer_id, name, pk in rows.iterator(chunk_size=5000):
        c = by_key.get((customer_id, name))
        if c is not None and c.pk is None:
            c.pk = pk
            c._state.adding = False


def _changes(row) -> list:
    """The history changes, the new contact's id filled in now it has one."""
    if row.data["changes"] is None:
        c = row.data["customer"]
        return history.diff(
            {}, row.data["snapshot"](c, row.data["all_tags"], row.data["contacts"])
        )
    contact = row.data.get("contact")
    if contact is None or not row.data["contacts"]:
        return row.data["changes"]
    after = contact_records(row.data["contacts"])
    rest = [c for c in row.data["changes"] if c["field"] != "contacts"]
    return [
        *rest,
        *history.diff({"contacts": row.data["before_contacts"]}, {"contacts": after}),
    ]


def _audit_holders(actor, granted, updated) -> None:
    """What `services._audit_holders` leaves, in bulk: a grant per holder of a
    new customer, a revoke and a grant per changed holder, and shares the new
    holder had dropped (they must not outlive the holding)."""
    users = get_user_model().objects.in_bulk(
        {
            pk
            for r in updated
            for pk in (r.data["old_owner"], r.data["old_manager"])
            if pk
        }
    )
    events, drops = [], []
    # New customers ({(holder, role): [customer IDs]}): one grant event per
    # holder and role, with the count (rows) and the first and last ID.
    for (holder, role), nos in granted.items():
        span = nos[0] if len(nos) == 1 else f"{nos[0]}…{nos[-1]}"
        events.append(
            SecurityEvent(
                actor=actor,
                kind=SecurityEvent.Kind.GRANT,
                target=f"{span} → {holder}",
                rows=len(nos),
                detail={"detail": role, "import": True},
            )
        )
    for row in updated:
        c = row.data["customer"]
        for role, old_pk, new_user in (
            ("owner", row.data["old_owner"], c.owner),
            ("success_manager", row.data["old_manager"], c.success_manager),
        ):
            new_pk = getattr(new_user, "pk", None)
            if old_pk == new_pk:
                continue
            if old_pk:
                events.append(
                    SecurityEvent(
                        actor=actor,
                        kind=SecurityEvent.Kind.REVOKE,
                        target=f"{c.customer_no} → {users.get(old_pk, old_pk)}",
                        rows=1,
                        detail={"detail": role},
                    )
                )
            if new_user is not None:
                events.append(
                    SecurityEvent(
                        actor=actor,
                        kind=SecurityEvent.Kind.GRANT,
                        target=f"{c.customer_no} → {new_user}",
                        rows=1,
                        detail={"detail": role, "import": True},
                    )
                )
                drops.append((new_pk, c.pk))
    SecurityEvent.objects.bulk_create(events, batch_size=BATCH)
    if events:
        history.security_log.info(
            "%s holder grants and revokes by %s with an import",
            len(events),
            actor.username,
        )
    perms = [
        permissions.permission_id(Customer, action) for action in ("view", "change")
    ]
    by_user = defaultdict(list)
    for user_pk, customer_pk in drops:
        by_user[user_pk].append(customer_pk)
    for user_pk, pks in by_user.items():
        for chunk in _chunks(pks):
            CustomerUserObjectPermission.objects.filter(
                user_id=user_pk, content_object_id__in=chunk, permission_id__in=perms
            ).delete()


# Possible duplicates ----------------------------------------------------------


def _name_key(name: str) -> str:
    return name.replace(" ", "").lower()


def _notes(ctx) -> None:
    """Possible duplicates, as notes: a new customer whose contact phone or
    e-mail another customer (stored, or another row) has, or whose name is
    the same but for spaces and case. Customers the user may not see are not
    named."""
    rows = [r for r in ctx.rows if r.ok and r.outcome]
    phones, emails, keys = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in rows:
        if row.values.get("contact_phone"):
            phones[row.values["contact_phone"]].append(row)
        if row.values.get("contact_email"):
            emails[row.values["contact_email"]].append(row)
        if row.outcome == "new":
            keys[_name_key(row.values["name"])].append(row)
    found = defaultdict(set)  # row number → {(customer pk, reason)}
    live = Contact.objects.filter(customer__deleted_at__isnull=True)
    for values, lookup, reason in (
        (phones, "phone__in", "phone"),
        (emails, "email__in", "email"),
    ):
        for chunk in _chunks(values):
            for value, customer_pk in live.filter(**{lookup: chunk}).values_list(
                lookup[:-4], "customer_id"
            ):
                for row in values[value]:
                    own = row.instance.pk if row.instance is not None else None
                    if customer_pk != own:
                        found[row.number].add((customer_pk, reason))
    if hasattr(Customer, "name_key"):
        for chunk in _chunks(keys):
            matches = Customer.objects.alive().filter(name_key__in=chunk)
            for pk, key in matches.values_list("pk", "name_key"):
                for row in keys.get(key, []):
                    found[row.number].add((pk, "name"))
    visible = {}
    pks = {pk for pairs in found.values() for pk, _reason in pairs}
    for chunk in _chunks(pks):
        for pk, no, name in (
            Customer.objects.for_user(ctx.user, "view")
            .filter(pk__in=chunk)
            .values_list("pk", "customer_no", "name")
        ):
            visible[pk] = f"{name}（{no}）"
    reasons = {
        "phone": _("the same contact phone"),
        "email": _("the same contact e-mail"),
        "name": _("a very similar name"),
        "row": _("the same contact phone or e-mail"),
    }
    by_number = {r.number: r for r in rows}
    for number in sorted(found):
        for pk, reason in sorted(found[number], key=lambda p: (p[1], p[0])):
            ctx.note(
                by_number[number],
                _("Possible duplicate: %(customer)s has %(reason)s.")
                % {
                    "customer": visible.get(pk, _("a customer you cannot see")),
                    "reason": reasons[reason],
                },
            )
    # Rows of the file sharing a phone or e-mail with one another.
    for values in (phones, emails):
        for group in values.values():
            if len(group) > 1:
                for row in group[1:]:
                    ctx.note(
                        row,
                        _("Possible duplicate: row %(row)s has %(reason)s.")
                        % {"row": group[0].number, "reason": reasons["row"]},
                    )


CUSTOMERS = CustomerImport()


# Contacts ---------------------------------------------------------------------


class ContactImport(ImportSpec):
    """Contacts of customers the file names by 客户ID; a contact of that
    customer with the same name is updated, otherwise one is added."""

    key = "contacts"
    label = gettext_lazy("Contacts")
    model = Contact

    def allowed(self, user) -> bool:
        # Contacts are edited with their customer: whoever may create
        # customers may add contacts to the ones they may change.
        return permissions.has_model_perm(user, Customer, "add")

    def columns(self) -> list[ColumnSpec]:
        h = _headers()
        field = Contact._meta.get_field
        return [
            ColumnSpec(
                "customer_no",
                h["customer_no"],
                required=True,
                example="C20240315001",
                aliases=("customer_no", "customer ID"),
                parse=parse_customer_no,
            ),
            ColumnSpec(
                "name",
                "联系人姓名",
                required=True,
                example="张伟",
                aliases=("姓名", "contact name", "name"),
                parse=specs.text(field("name").max_length, normalize_name),
            ),
            ColumnSpec(
                "title",
                "职务",
                example="采购总监",
                aliases=("联系人职务", "job title", "title"),
                parse=specs.text(field("title").max_length),
            ),
            ColumnSpec(
                "phone",
                "联系方式",
                example="13812345678",
                aliases=("联系电话", "电话", "手机", "phone"),
                parse=parse_phone,
            ),
            ColumnSpec(
                "email",
                "邮箱",
                example="zhangwei@example.com",
                aliases=("电子邮箱", "email", "e-mail"),
                parse=specs.email,
            ),
            ColumnSpec(
                "is_primary",
                "是否主要联系人",
                choices=["是", "否"],
                example="是",
                aliases=("主要联系人", "primary contact", "is_primary"),
                parse=specs.boolean,
            ),
            ColumnSpec(
                "note",
                "备注",
                example="",
                aliases=("note",),
                parse=specs.text(field("note").max_length),
            ),
        ]

    def resolve(self, ctx) -> None:
        rows = ctx.rows
        nos = {r.values["customer_no"] for r in rows if "customer_no" in r.values}
        customers = {}
        for chunk in _chunks(nos):
            for c in Customer._base_manager.filter(customer_no__in=chunk):
                customers[c.customer_no] = c
        customers.update(_aliases(nos - set(customers)))
        changeable = _changeable(ctx.user, {c.pk for c in customers.values()})
        contacts = defaultdict(list)
        for chunk in _chunks(changeable):
            for contact in Contact.objects.filter(customer_id__in=chunk).order_by(
                "-is_primary", "id"
            ):
                contacts[contact.customer_id].append(contact)
        claims, primaries = {}, {}
        touched = {}  # customer pk → {"customer", "before", "after": {key: Contact}}
        for row in rows:
            if not row.ok:
                continue
            customer = customers.get(row.values["customer_no"])
            if customer is None or customer.deleted_at is not None:
                row.error(
                    "customer_no",
                    _("There is no customer with this ID.")
                    if customer is None
                    else _("This customer is in the trash."),
                )
                continue
            if customer.pk not in changeable:
                row.error("customer_no", _("You may not change this customer."))
                continue
            name = row.values["name"]
            identity = (customer.pk, name)
            if identity in claims:
                row.error(
                    "name",
                    _("Row %(row)s is the same contact; give each one row.")
                    % {"row": claims[identity]},
                )
                continue
            claims[identity] = row.number
            if row.values.get("is_primary"):
                if customer.pk in primaries:
                    row.error(
                        "is_primary",
                        _(
                            "Row %(row)s already makes another contact of this "
                            "customer the primary contact."
                        )
                        % {"row": primaries[customer.pk]},
                    )
                    continue
                primaries[customer.pk] = row.number
            state = touched.setdefault(
                customer.pk,
                {
                    "customer": customer,
                    "before": contact_records(contacts[customer.pk]),
                    "contacts": [_copy(x) for x in contacts[customer.pk]],
                    "rows": [],
                },
            )
            same = [x for x in state["contacts"] if x.name == name]
            if len(same) > 1:
                phone = row.values.get("phone")
                same = [x for x in same if phone and x.phone == phone] or same
                if len(same) > 1:
                    row.error(
                        "name",
                        _(
                            "This customer has several contacts of this name; "
                            "change the one you mean on the customer's page."
                        ),
                    )
                    continue
            contact = same[0] if same else None
            row.outcome = "updated" if contact else "new"
            if contact is None:
                contact = Contact(customer_id=customer.pk, name=name)
                state["contacts"].append(contact)
            before = _contact_values(contact)
            for field in ("title", "phone", "email", "note"):
                if field in row.values:
                    setattr(contact, field, row.values[field])
            if "is_primary" in row.values:
                contact.is_primary = row.values["is_primary"]
            row.data.update(contact=contact, state=state)
            if row.outcome == "updated" and before == _contact_values(contact):
                row.outcome = "unchanged"
            state["rows"].append(row)
        for pk, state in touched.items():
            listed = state["contacts"]
            marked = [x for x in listed if x.is_primary]
            if pk in primaries:
                chosen = next(
                    r.data["contact"]
                    for r in state["rows"]
                    if r.number == primaries[pk]
                )
                for x in listed:
                    x.is_primary = x is chosen
            elif not marked and listed:
                listed[0].is_primary = True
            # A primary moved: the contacts losing it change too.
            state["changes"] = history.diff(
                {"contacts": state["before"]}, {"contacts": contact_records(listed)}
            )
            for row in state["rows"]:
                if row.outcome == "unchanged" and _contact_values(
                    row.data["contact"]
                ) != _record_values(state["before"], row.data["contact"].pk):
                    row.outcome = "updated"
        ctx.cache["touched"] = touched
        self._notes(ctx)

    def _notes(self, ctx) -> None:
        rows = [r for r in ctx.rows if r.ok and r.outcome == "new"]
        phones, emails = defaultdict(list), defaultdict(list)
        for row in rows:
            if row.values.get("phone"):
                phones[row.values["phone"]].append(row)
            if row.values.get("email"):
                emails[row.values["email"]].append(row)
        for values, field in ((phones, "phone"), (emails, "email")):
            for chunk in _chunks(values):
                found = (
                    Contact.objects.filter(
                        customer__deleted_at__isnull=True, **{f"{field}__in": chunk}
                    )
                    .values_list(field, "customer_id")
                    .distinct()
                )
                for value, customer_pk in found:
                    for row in values[value]:
                        if row.data["contact"].customer_id != customer_pk:
                            ctx.note(
                                row,
                                _(
                                    "Possible duplicate: another customer has a "
                                    "contact with this phone or e-mail."
                                ),
                            )

    def write(self, ctx) -> None:
        touched = ctx.cache["touched"]
        states = [s for s in touched.values() if s["changes"]]
        rows = [r for s in states for r in s["rows"]]
        for row in rows:
            row.data["customer"] = row.data["state"]["customer"]
        # Each customer once, for the version check.
        firsts = {id(r.data["customer"]): r for r in rows}
        _recheck_versions(list(firsts.values()))
        listed = [x for s in states for x in s["contacts"]]
        existing = [x for x in listed if x.pk is not None]
        # Primaries are cleared first so the one-primary constraint holds.
        for chunk in _chunks([s["customer"].pk for s in states]):
            Contact.objects.filter(customer_id__in=chunk, is_primary=True).update(
                is_primary=False
            )
        Contact.objects.bulk_update(
            existing,
            ["name", "title", "phone", "email", "note", "is_primary"],
            batch_size=BATCH,
        )
        _insert_contacts([x for x in listed if x.pk is None])
        now = timezone.now()
        customers = [s["customer"] for s in states]
        for c in customers:
            c.version += 1
            c.updated_at = now
        Customer.objects.bulk_update(
            customers, ["version", "updated_at"], batch_size=BATCH
        )
        record_many(
            ctx.user,
            HistoryEntry.Action.UPDATE,
            (
                (
                    s["customer"].pk,
                    s["customer"].version,
                    history.diff(
                        {"contacts": s["before"]},
                        {"contacts": contact_records(s["contacts"])},
                    ),
                )
                for s in states
            ),
        )


def _copy(contact: Contact, **changes) -> Contact:
    copy = Contact(
        pk=contact.pk,
        customer_id=contact.customer_id,
        name=contact.name,
        title=contact.title,
        phone=contact.phone,
        email=contact.email,
        is_primary=contact.is_primary,
        note=contact.note,
    )
    for field, value in changes.items():
        setattr(copy, field, value)
    return copy


def _contact_values(contact: Contact) -> tuple:
    return (
        contact.name,
        contact.title,
        contact.phone,
        contact.email,
        contact.is_primary,
        contact.note,
    )


def _record_values(records: list[dict], pk) -> tuple | None:
    for r in records:
        if r["id"] == pk:
            return (
                r["name"],
                r["title"],
                r["phone"],
                r["email"],
                r["is_primary"],
                r["note"],
            )
    return None


CONTACTS = ContactImport()
