"""Customers (客户基本信息表): customers, contacts, tags and reference data."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Lower, Replace
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from crm import privacy
from crm.features import (
    CustomFieldsModel,
    NumberedModel,
    SoftDeleteModel,
    TrackedModel,
    VersionedModel,
)
from crm.models import CustomField
from crm.parsing import normalize_email
from crm.querysets import RestrictedQuerySet, SoftDeleteQuerySet

from .validators import (
    normalize_credit_code,
    normalize_name,
    normalize_phone,
    validate_credit_code,
)


class Industry(models.Model):
    """A GB/T 4754-2017 division (门类 section → 大类 division)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    section = models.CharField(_("section"), max_length=1)
    section_name = models.CharField(_("section name"), max_length=60)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer_list") + f"?industry={self.code}"

    @property
    def full_name(self) -> str:
        """Section / division, the section left out where both share a name
        (K 房地产业 holds only 70 房地产业)."""
        if self.section_name == self.name:
            return self.name
        return f"{self.section_name} / {self.name}"


class RegionQuerySet(models.QuerySet):
    def lookup(self, text: str):
        """Find a province by its name with or without suffix: 上海 = 上海市."""
        text = (text or "").strip()
        if not text:
            return None
        return self.filter(Q(name=text) | Q(short_name=text)).first()


class Region(models.Model):
    """A GB/T 2260 province-level division and its area (华东, 华南, …)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("province"), max_length=20, unique=True)
    short_name = models.CharField(_("short name"), max_length=10)
    area = models.CharField(_("area"), max_length=10, db_index=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer_list") + f"?region={self.code}"


class Tag(models.Model):
    """A label users put on customers (高潜力客户, 风险客户, …)."""

    class Colour(models.TextChoices):
        RED = "red", _("Red")
        ORANGE = "orange", _("Orange")
        GREEN = "green", _("Green")
        BLUE = "blue", _("Blue")
        PURPLE = "purple", _("Purple")
        GREY = "grey", _("Grey")

    name = models.CharField(_("name"), max_length=30, unique=True)
    colour = models.CharField(
        _("colour"), max_length=10, choices=Colour.choices, default=Colour.BLUE
    )

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer_list") + f"?tag={self.pk}"


SEARCH_ID_LIMIT = 1000


class CustomerQuerySet(SoftDeleteQuerySet):
    """Owners and success managers reach their customers through the row's own
    columns (index-backed); colleagues through shares (object grants)."""

    holder_actions = {"owner": ("view", "change"), "success_manager": ("view", "renew")}
    object_grants = True

    def owned_by(self, user):
        return self.alive().filter(owner=user)

    def with_list_data(self):
        """What the list page shows, in a bounded number of queries."""
        primary = Contact.objects.filter(is_primary=True)
        return self.select_related(
            "owner", "industry", "region", "success_manager"
        ).prefetch_related(
            "tags", models.Prefetch("contacts", queryset=primary, to_attr="primary")
        )

    def search(self, text: str, user=None):
        """Name, customer ID, credit code, or a contact's name, phone or e-mail.

        The matches are one UNION whose branches each use their own index
        (B-tree for the IDs, trigram on PostgreSQL for the substrings), where
        one big OR across tables would scan every customer. A selective search
        (the usual case) is resolved to its ids right away, so the list query
        becomes a primary-key lookup; a broad one (more than SEARCH_ID_LIMIT
        matches) is a plain OR, which lets the page walk the sort index.

        Phones and e-mails match as substrings only on customers whose contact
        details `user` may see: elsewhere a search revealing a masked number
        digit by digit must find nothing, so only the whole value matches
        (customer service still finds a caller by the full number).
        """
        text = (text or "").strip()
        if not text:
            return self
        code = text.upper()
        own = Q(name__icontains=text) | Q(customer_no=code) | Q(credit_code=code)
        substring = Q(phone__contains=text.replace(" ", "")) | Q(email__icontains=text)
        reveal = None
        if user is not None:
            reveal = privacy.contact_details_q(Customer.objects.all(), user)
        if reveal is not None:
            # Correlated: checked on the few contacts that match, by primary
            # key, not by listing every customer the user may see (a third of
            # a million rows for a rep) as `customer_id IN (…)` would.
            revealed = Customer.objects.filter(reveal, pk=OuterRef("customer_id"))
            substring = (
                Q(phone=exact_phone(text))
                | Q(email__iexact=text)
                | (substring & Exists(revealed))
            )
        contacts = (
            Contact.objects.order_by()
            .filter(Q(name__icontains=text) | substring)
            .values("customer_id")
        )
        matches = (
            Customer.objects.order_by().filter(own).values("pk").union(contacts)
        ).order_by()
        ids = [row["pk"] for row in matches[: SEARCH_ID_LIMIT + 1]]
        if len(ids) <= SEARCH_ID_LIMIT:
            return self.filter(pk__in=ids)
        return self.filter(own | Q(pk__in=contacts))


def name_key_of(expression):
    """The normalised name duplicates are matched on: the stored name (already
    NFKC, single spaces) without spaces, in lower case. One SQL expression, so
    the stored column and a lookup of a typed name compute it the same way."""
    return Lower(Replace(expression, Value(" "), Value("")))


def exact_phone(text: str) -> str:
    """A typed phone number in the form contacts store it, for an exact match."""
    try:
        return normalize_phone(text) or text
    except ValidationError:
        return text.replace(" ", "")


class Customer(
    NumberedModel,
    VersionedModel,
    SoftDeleteModel,
    CustomFieldsModel,
    TrackedModel,
):
    """One customer company; every follow-up, opportunity and ticket hangs off it."""

    number_prefix = "C"
    number_field = "customer_no"
    custom_field_target = CustomField.Target.CUSTOMER
    tracked_fields = (
        "name",
        "credit_code",
        "type",
        "industry",
        "size",
        "region",
        "city",
        "address",
        "level",
        "status",
        "first_cooperation_date",
        "historical_amount",
        "products",
        "owner",
        "success_manager",
        "renewal_date",
    )
    tracked_m2m = ("tags",)
    private_history_fields = ("contacts",)

    class Type(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        SOLE = "sole", _("Individual business")
        PUBLIC = "public", _("Government or public institution")
        OTHER = "other", _("Other")

    class Size(models.TextChoices):
        S1 = "1-19", _("1-19 people")
        S2 = "20-99", _("20-99 people")
        S3 = "100-499", _("100-499 people")
        S4 = "500-999", _("500-999 people")
        S5 = "1000-9999", _("1000-9999 people")
        S6 = "10000+", _("10000 people or more")

    class Level(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    class Status(models.TextChoices):
        POTENTIAL = "potential", _("Potential customer")
        ACTIVE = "active", _("Closed-won customer")
        LOST = "lost", _("Lost customer")

    customer_no = models.CharField(
        _("customer ID"), max_length=20, unique=True, editable=False
    )
    name = models.CharField(_("customer name"), max_length=200, db_index=True)
    # Kept by the database on every path (forms, services, imports, bulk
    # writes); indexed for the duplicate warning and the duplicates page.
    name_key = models.GeneratedField(
        expression=name_key_of(models.F("name")),
        output_field=models.CharField(max_length=200),
        db_persist=True,
        db_index=True,
        verbose_name=_("normalised name"),
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    type = models.CharField(
        _("customer type"), max_length=20, choices=Type.choices, default=Type.ENTERPRISE
    )
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    size = models.CharField(
        _("company size"), max_length=10, choices=Size.choices, blank=True
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    city = models.CharField(_("city"), max_length=40, blank=True)
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    level = models.CharField(
        _("customer level"), max_length=1, choices=Level.choices, default=Level.C
    )
    status = models.CharField(
        _("customer status"),
        max_length=20,
        choices=Status.choices,
        default=Status.POTENTIAL,
    )
    first_cooperation_date = models.DateField(
        _("first cooperation date"), null=True, blank=True
    )
    historical_amount = models.DecimalField(
        _("historical cooperation amount"),
        max_digits=16,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    products = models.CharField(_("products / services"), max_length=200, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_customers",
    )
    success_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer success manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    # The latest occurred_at of the customer's live follow-ups, kept by
    # followups.services (lists, sorting, the reports' action lists).
    last_followup_at = models.DateTimeField(
        _("last follow-up"), null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("last updated"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("reassign_customer", _("Can reassign the owner of any customer")),
            ("export_customer", _("Can export customers")),
            ("renew_customer", _("Can edit the renewal date of a customer")),
            (
                "manage_success_customer",
                _("Can be the customer success manager of customers"),
            ),
            ("merge_customer", _("Can merge duplicate customers")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="uniq_customer_credit_code",
                violation_error_message=_(
                    "Another customer already has this unified social credit code."
                ),
            ),
            models.CheckConstraint(
                condition=Q(historical_amount__gte=0),
                name="customer_amount_not_negative",
            ),
        ]
        indexes = [
            # Visibility rides these: a rep's list walks its own rows in the
            # list's default order, and the workbench counts from them.
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["success_manager", "-updated_at", "-id"]),
            # The workbench's "my customers by status": only live rows, so
            # its counts are index-only (deleted_at is not in the index).
            models.Index(
                fields=["owner", "status"],
                condition=Q(deleted_at__isnull=True),
                name="customer_owner_status_alive",
            ),
            # New customers per period (per owner, industry and province) in
            # the reports and the dashboard: index-only over live rows.
            models.Index(
                fields=["created_at", "owner", "industry", "region"],
                condition=Q(deleted_at__isnull=True),
                name="customer_alive_created",
            ),
            # The distribution over all time, by industry and province.
            models.Index(
                fields=["industry", "region"],
                condition=Q(deleted_at__isnull=True),
                name="customer_alive_place",
            ),
            models.Index(fields=["status", "-updated_at"]),
            models.Index(fields=["level", "-updated_at"]),
            models.Index(fields=["industry", "-updated_at"]),
            models.Index(fields=["region", "-updated_at"]),
            models.Index(fields=["size", "-updated_at"]),
            models.Index(fields=["renewal_date"]),
            models.Index(fields=["last_followup_at"]),
            models.Index(fields=["historical_amount"]),
            models.Index(fields=["deleted_at"]),
        ]

    def __str__(self):
        return f"{self.name}（{self.customer_no}）"

    def get_absolute_url(self):
        return reverse("customers:customer_detail", args=[self.customer_no])

    def clean_fields(self, exclude=None):
        # Normalised before validation, so every path (form, import, service)
        # stores and checks the same value: a credit code pasted with spaces
        # is 18 characters once they are gone.
        self.name = normalize_name(self.name)
        self.credit_code = normalize_credit_code(self.credit_code)
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name, error in self._date_errors(set(exclude or ()) | set(errors)).items():
            errors[name] = [error]
        if errors:
            raise ValidationError(errors)

    def _date_errors(self, skip: set) -> dict:
        """Dates that cannot be right, on every path (form, import, service).

        A first cooperation in the future has not happened; a stored one is
        left alone (data from before this rule must not block other edits).
        A renewal cannot come before the cooperation began."""
        errors = {}
        first, renewal = self.first_cooperation_date, self.renewal_date
        today = timezone.localdate()
        if (
            "first_cooperation_date" not in skip
            and isinstance(first, datetime.date)
            and first > today
        ):
            stored_rows = type(self)._base_manager.filter(pk=self.pk)
            stored = stored_rows.values_list(
                "first_cooperation_date", flat=True
            ).first()
            if self.pk is None or stored != first:
                errors["first_cooperation_date"] = ValidationError(
                    _("It cannot be after today (%(today)s)."),
                    code="future",
                    params={"today": today.isoformat()},
                )
        if (
            "renewal_date" not in skip
            and "first_cooperation_date" not in errors
            and isinstance(first, datetime.date)
            and isinstance(renewal, datetime.date)
            and renewal < first
        ):
            errors["renewal_date"] = ValidationError(
                _("It cannot be before the first cooperation date (%(first)s)."),
                code="before_first_cooperation",
                params={"first": first.isoformat()},
            )
        return errors

    def history_extra(self) -> dict:
        return {"contacts": contact_records(self.contacts.all())}

    @classmethod
    def history_label(cls, name: str):
        return {"contacts": _("contacts"), "merged_from": _("merged from")}.get(name)

    @classmethod
    def history_related_model(cls, name: str):
        """The model of a `history_extra()` list of records, shown per field."""
        return Contact if name == "contacts" else None


class CustomerAlias(models.Model):
    """The customer ID of a customer merged into another: its old address
    leads to the customer it became part of (`customers.merging`)."""

    customer_no = models.CharField(_("customer ID"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("merged into"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merged customer ID")
        verbose_name_plural = _("merged customer IDs")

    def __str__(self):
        return f"{self.customer_no} → {self.customer.customer_no}"

    def get_absolute_url(self):
        return self.customer.get_absolute_url()


class CustomerUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK table of per-user grants on customers (owner, shares)."""

    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission", "content_object"])]

    def get_absolute_url(self):
        return self.content_object.get_absolute_url()


class CustomerGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-FK table of per-group grants on customers."""

    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["group", "permission", "content_object"])]

    def get_absolute_url(self):
        return self.content_object.get_absolute_url()


def contact_records(contacts) -> list[dict]:
    """Each contact's raw values, as the customer's history keeps them, so an
    edit reads per field ("phone 138… → 139…"); the id pairs old and new."""
    return [
        {
            "id": c.pk,
            "name": c.name,
            "title": c.title,
            "phone": c.phone,
            "email": c.email,
            "is_primary": c.is_primary,
            "note": c.note,
        }
        for c in contacts
    ]


class ContactQuerySet(RestrictedQuerySet):
    """Contacts follow their customer's visibility."""

    parent_field = "customer"
    parent_actions = {"view": "view", "change": "change"}


class Contact(models.Model):
    """A person at the customer; at most one is the primary contact."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("contact name"), max_length=50)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True),
                name="one_primary_contact",
                violation_error_message=_("A customer has only one primary contact."),
            )
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["email"])]

    def __str__(self):
        return f"{self.name}（{self.title}）" if self.title else self.name

    def get_absolute_url(self):
        return self.customer.get_absolute_url()

    def clean_fields(self, exclude=None):
        self.name = normalize_name(self.name)
        self.email = normalize_email(self.email)
        errors = {}
        try:
            self.phone = normalize_phone(self.phone)
        except ValidationError as exc:
            errors["phone"] = exc.error_list
        try:
            super().clean_fields(exclude)
        except ValidationError as exc:
            errors = {**exc.update_error_dict({}), **errors}
        if errors:
            raise ValidationError(errors)
