"""Writes every record type shares: the trash (soft delete, restore, purge).

Each is atomic, leaves a history entry and a security event; the record's own
services call these so the trash works the same for every module.
"""

from django.db import transaction
from django.utils import timezone

from . import history
from .models import HistoryEntry, SecurityEvent


@transaction.atomic
def record_soft_delete(*, actor, record) -> None:
    record.deleted_at = timezone.now()
    record.deleted_by = actor
    record.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    history.record(record, actor, HistoryEntry.Action.DELETE, (), record.version)
    history.audit(actor, SecurityEvent.Kind.DELETE, record.number)


@transaction.atomic
def record_restore(*, actor, record) -> None:
    record.deleted_at = None
    record.deleted_by = None
    record.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    history.record(record, actor, HistoryEntry.Action.RESTORE, (), record.version)
    history.audit(actor, SecurityEvent.Kind.RESTORE, record.number)


@transaction.atomic
def record_purge(*, actor, record) -> None:
    """Delete a trashed record for good, with its history and grants."""
    if record.deleted_at is None:
        raise ValueError("only a record in the trash can be purged")
    number = record.number
    history.entries_for(record).delete()
    record.delete()
    history.audit(actor, SecurityEvent.Kind.PURGE, number)
