"""Record features as abstract models (NetBox's `netbox/models/features.py`).

A record model declares what it has by inheriting these; the services, views,
templates and history then pick the feature up without per-model wiring:

- `NumberedModel`: a `C/F/S/O{YYYYMMDD}{seq}` number from `NumberSequence`;
- `VersionedModel`: a version counter; `lock_version()` / `check_version()`
  raise `StaleEdit` when someone saved since the editor loaded the record;
- `SoftDeleteModel`: deleting moves to the trash (`crm.services`);
- `CustomFieldsModel`: admin-defined fields in a JSON column;
- `TrackedModel`: the fields whose changes `history.tracked()` records.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import NumberSequence


class StaleEdit(Exception):
    """The record changed since the editor loaded it; nothing was saved.

    `current` is the record as it is now, `entries` the history entries saved
    after the version the editor started from (what changed meanwhile)."""

    def __init__(self, current, entries):
        self.current = current
        self.entries = entries
        super().__init__(str(current.pk))


class NumberedModel(models.Model):
    """`number_field` gets `number_prefix` + the creation day + a per-day counter."""

    number_prefix = ""
    number_field = ""

    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        abstract = True

    def save(self, **kwargs):
        if self.created_at is None:
            self.created_at = timezone.now()
        if not getattr(self, self.number_field):
            day = timezone.localtime(self.created_at).date()
            setattr(
                self,
                self.number_field,
                NumberSequence.next_code(self.number_prefix, day),
            )
        super().save(**kwargs)

    @property
    def number(self) -> str:
        return getattr(self, self.number_field)


class VersionedModel(models.Model):
    """Edits carry the version they started from; a stale save is refused."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    @classmethod
    def lock_version(cls, pk, expected_version: int):
        """The row locked for update, or StaleEdit if it moved past the version."""
        current = cls._default_manager.select_for_update().get(pk=pk)
        if current.version != expected_version:
            raise StaleEdit(current, current.history_since(expected_version))
        return current

    def check_version(self, expected_version: int) -> None:
        """Raise StaleEdit when the stored row moved past `expected_version`."""
        stored = type(self)._default_manager.filter(pk=self.pk)
        if not stored.filter(version=expected_version).exists():
            current = stored.get()
            raise StaleEdit(current, current.history_since(expected_version))

    def history_since(self, version: int) -> list:
        from .history import entries_for

        return list(entries_for(self).filter(version__gt=version))


class SoftDeleteModel(models.Model):
    """Deleting moves the record to the trash; admins restore or purge it."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class CustomFieldsModel(models.Model):
    """Values of the `CustomField`s whose target is `custom_field_target`."""

    custom_field_target = ""

    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        abstract = True


class TrackedModel(models.Model):
    """`history.tracked()` records changes to `tracked_fields` and `tracked_m2m`,
    to custom fields, and to what `history_extra()` adds (e.g. contacts)."""

    tracked_fields: tuple[str, ...] = ()
    tracked_m2m: tuple[str, ...] = ()
    # Entries of `history_extra()` holding contact details, masked for readers
    # who may not see them.
    private_history_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def history_label(cls, name: str):
        """The label of a `history_extra()` entry, in the reader's language."""
        return None

    def history_extra(self) -> dict:
        """{name: raw value} of related data kept with the record's history."""
        return {}
