"""Writes every record type shares: the trash (soft delete, restore, purge).

Each is atomic, leaves a history entry and a security event; the record's own
services call these so the trash works the same for every module. Writes open
`transaction.atomic()` as a block rather than a decorator, so the mutation
tests (`make mutate`; mutmut skips decorated functions) reach them too.
"""

from django.db import transaction
from django.utils import timezone

from . import history
from .models import HistoryEntry, SecurityEvent


def record_soft_delete(*, actor, record) -> None:
    with transaction.atomic():
        record.deleted_at = timezone.now()
        record.deleted_by = actor
        record.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        history.record(record, actor, HistoryEntry.Action.DELETE, (), record.version)
        history.audit(actor, SecurityEvent.Kind.DELETE, record.number)


def record_restore(*, actor, record) -> None:
    with transaction.atomic():
        record.deleted_at = None
        record.deleted_by = None
        record.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        history.record(record, actor, HistoryEntry.Action.RESTORE, (), record.version)
        history.audit(actor, SecurityEvent.Kind.RESTORE, record.number)


def record_purge(*, actor, record) -> None:
    """Delete a trashed record for good, with its history and grants."""
    with transaction.atomic():
        if record.deleted_at is None:
            raise ValueError("only a record in the trash can be purged")
        number = record.number
        history.entries_for(record).delete()
        record.delete()
        history.audit(actor, SecurityEvent.Kind.PURGE, number)
