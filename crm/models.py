"""Cross-module models: record numbers, custom fields, history and audit."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .querysets import RestrictedQuerySet


class NumberSequence(models.Model):
    """Per-prefix, per-day counter behind record numbers such as C20240315001.

    The counter row is bumped with an UPDATE before it is read, so the row lock
    (PostgreSQL) or the write lock (SQLite, IMMEDIATE transactions) serialises
    concurrent creations and no two of them get the same number.
    """

    prefix = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "day"], name="uniq_sequence_day")
        ]

    def __str__(self):
        return f"{self.prefix}{self.day:%Y%m%d}:{self.last}"

    @classmethod
    def next_code(cls, prefix: str, day=None) -> str:
        day = day or timezone.localdate()
        with transaction.atomic():
            cls.objects.get_or_create(prefix=prefix, day=day)
            cls.objects.filter(prefix=prefix, day=day).update(last=F("last") + 1)
            last = cls.objects.get(prefix=prefix, day=day).last
        return f"{prefix}{day:%Y%m%d}{last:03d}"

    @classmethod
    def reserve_many(cls, prefix: str, days: dict) -> dict:
        """For imports: `days` maps a creation day to (the highest counter the
        file brings for that day, how many new numbers it needs). Each day's
        counter moves past both, under the rows' locks, in a few statements
        per 500 days; returns {day: the counter before the new numbers}, so
        the new ones are that + 1, + 2, …"""
        if not days:
            return {}
        rows = cls.objects.select_for_update().filter(prefix=prefix)
        chunks = [list(days)[i : i + 500] for i in range(0, len(days), 500)]
        existing = {}
        for chunk in chunks:
            existing.update({seq.day: seq for seq in rows.filter(day__in=chunk)})
        missing = [cls(prefix=prefix, day=day) for day in days if day not in existing]
        if missing:
            cls.objects.bulk_create(missing, batch_size=1000)
            for chunk in chunks:
                existing.update({seq.day: seq for seq in rows.filter(day__in=chunk)})
        starts, changed = {}, []
        for day, (highest, count) in days.items():
            seq = existing[day]
            starts[day] = max(seq.last, highest)
            if starts[day] + count != seq.last:
                seq.last = starts[day] + count
                changed.append(seq)
        cls.objects.bulk_update(changed, ["last"], batch_size=1000)
        return starts

    @classmethod
    def reserve(cls, code: str) -> None:
        """Make sure a number that arrives from outside (import) is never issued."""
        prefix, rest = code[0], code[1:]
        if len(rest) < 11 or not (rest.isascii() and rest.isdigit()):
            return
        day = timezone.datetime.strptime(rest[:8], "%Y%m%d").date()
        seq = int(rest[8:])
        with transaction.atomic():
            cls.objects.get_or_create(prefix=prefix, day=day)
            cls.objects.filter(prefix=prefix, day=day, last__lt=seq).update(last=seq)


class CustomField(models.Model):
    """An admin-defined field; its values live in the target's `custom` JSON."""

    class Target(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        OPPORTUNITY = "opportunity", _("Opportunity")
        FOLLOWUP = "followup", _("Follow-up")
        TICKET = "ticket", _("Ticket")

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        INTEGER = "integer", _("Integer")
        DECIMAL = "decimal", _("Decimal")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Single choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes/no")

    target = models.CharField(_("applies to"), max_length=20, choices=Target.choices)
    key = models.SlugField(
        _("key"),
        max_length=40,
        help_text=_("Letters, digits and underscores; used in the database."),
    )
    label = models.CharField(_("label"), max_length=60)
    field_type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("One choice per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    show_in_list = models.BooleanField(_("shown in list"), default=False)
    filterable = models.BooleanField(_("filterable"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["target", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "key"], name="uniq_customfield_key"
            ),
            models.UniqueConstraint(
                fields=["target", "label"], name="uniq_customfield_label"
            ),
        ]

    def __str__(self):
        return f"{self.get_target_display()} · {self.label}"

    def get_absolute_url(self):
        from django.urls import reverse

        # The in-app settings page (the Django admin is for superusers only).
        return reverse("administration:customfield_update", args=[self.pk])

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.choices.splitlines() if c.strip()]

    def clean(self):
        from django.core.exceptions import ValidationError

        needs_choices = self.field_type in (self.Type.CHOICE, self.Type.MULTI_CHOICE)
        if needs_choices and not self.choice_list:
            raise ValidationError({"choices": _("List at least one choice.")})


class HistoryEntry(models.Model):
    """One change to a record: who, when, and old → new for each field."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Moved to trash")
        RESTORE = "restore", _("Restored")
        SHARE = "share", _("Shared")
        UNSHARE = "unshare", _("Sharing removed")
        REASSIGN = "reassign", _("Owner changed")
        MERGE = "merge", _("Merged")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=Action.choices)
    version = models.PositiveIntegerField(default=0)
    # [{"field": name, "label": verbose label, "old": text, "new": text}, ...]
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self):
        return (
            f"{self.get_action_display()} {self.object_id} @ {self.at:%Y-%m-%d %H:%M}"
        )

    def get_absolute_url(self):
        obj = self.content_type.get_object_for_this_type(pk=self.object_id)
        return obj.get_absolute_url()


class SecurityEvent(models.Model):
    """Exports, imports, permission grants and deletions: who, when, what, how many."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")
        GRANT = "grant", _("Permission granted")
        REVOKE = "revoke", _("Permission revoked")
        DELETE = "delete", _("Deleted to trash")
        RESTORE = "restore", _("Restored from trash")
        PURGE = "purge", _("Purged")
        MERGE = "merge", _("Records merged")
        LOGIN_BLOCKED = "login_blocked", _("Login blocked")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    target = models.CharField(max_length=200)
    rows = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.target} ({self.rows})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("admin:crm_securityevent_change", args=[self.pk])


class LoginFailureQuerySet(models.QuerySet):
    def recent(self):
        """Failures still inside the throttling window."""
        since = timezone.now() - timezone.timedelta(
            seconds=settings.LOGIN_FAILURE_WINDOW
        )
        return self.filter(at__gte=since)

    def expired(self):
        since = timezone.now() - timezone.timedelta(
            seconds=settings.LOGIN_FAILURE_WINDOW
        )
        return self.filter(at__lt=since)


class LoginFailure(models.Model):
    """One failed log-in: the normalised name tried, the client address, when.

    Kept in the database rather than a per-process cache so that every worker
    and every app server counts the same failures; rows older than the window
    are pruned as new failures arrive (see `crm.auth`).
    """

    username_key = models.CharField(max_length=150)
    address = models.CharField(max_length=45)
    at = models.DateTimeField(default=timezone.now)

    objects = LoginFailureQuerySet.as_manager()

    class Meta:
        verbose_name = _("failed log-in")
        verbose_name_plural = _("failed log-ins")
        indexes = [
            # Serves both rules: name per address, and address across names.
            models.Index(
                fields=["address", "username_key", "at"], name="loginfailure_key"
            ),
            models.Index(fields=["at"], name="loginfailure_at"),
        ]

    def __str__(self):
        return f"{self.username_key}@{self.address} {self.at:%Y-%m-%d %H:%M:%S}"

    # No get_absolute_url: failures have no page; blocked attempts show up as
    # SecurityEvents in the admin.


class ListPreference(models.Model):
    """The columns a user chose for one list (`list_key`, e.g. "customers").

    Column keys are stored as chosen; the list ignores any it no longer
    offers (a custom field deleted since), see `crm.lists`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    list_key = models.CharField(max_length=40)
    columns = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("list preference")
        verbose_name_plural = _("list preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_key"], name="uniq_listpreference_user_list"
            )
        ]

    def __str__(self):
        return f"{self.user_id}:{self.list_key}"

    def get_absolute_url(self):
        from .lists import list_spec

        return list_spec(self.list_key).url()


class SavedViewQuerySet(RestrictedQuerySet):
    """Owners reach their views; a shared view is seen by everyone who may
    open its list, and changed only by its owner or a role holding the model
    permission (administrators)."""

    holder_actions = {"owner": ("view", "change", "delete")}

    def access_q(self, user, action: str):
        q = super().access_q(user, action)
        if q is not None and action == "view" and user.is_authenticated:
            from .lists import openable_list_keys

            q |= models.Q(shared=True, list_key__in=openable_list_keys(user))
        return q


class SavedView(models.Model):
    """A named list query (filters, sort, page size) and column set.

    `query` is only ever fed back to the list's own filter set, which goes
    through `for_user()`: a shared view shows each viewer their own rows.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    list_key = models.CharField(max_length=40)
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(max_length=2000, blank=True)
    columns = models.JSONField(default=list, blank=True)
    shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_key", "name"], name="uniq_savedview_name"
            )
        ]
        indexes = [
            # The team's shared views of a list, read on every list page.
            models.Index(
                fields=["list_key", "name"],
                condition=models.Q(shared=True),
                name="savedview_shared",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        """The list with this view applied."""
        from .lists import list_spec

        return list_spec(self.list_key).view_url(self)
