"""Creating notifications (the only writer), and marking them read.

Modules call `notify(...)` right after their write, inside the same
transaction: the rows appear only if the write commits, and the e-mail (when
configured) is enqueued for the background worker only after the commit.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .kinds import KINDS
from .models import Notification, actor_label


def notify(
    *,
    recipients: Iterable,
    kind: str,
    actor=None,
    target=None,
    url: str = "",
    params: dict | None = None,
    key: str | None = None,
) -> int:
    """Notify each recipient (users or user ids) of one event; returns how many
    notifications were created.

    The actor is never notified of their own action and inactive users are
    skipped. With `key`, a recipient gets at most one notification with that key
    (a repeated call creates nothing). `params` are the values the kind's message
    is formatted with when read (JSON: strings and numbers). Many recipients are
    one INSERT; `params={"count": n}` makes one notification stand for n records
    (a bulk reassign). Queries: at most three, however many recipients (and
    the target's content type once per process).
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    if url and not is_same_site_path(url):
        raise ValueError(f"Notification links are same-site paths: {url!r}")
    users = _active_recipients(recipients, exclude=actor)
    if not users:
        return 0
    values = dict(params or {})
    if actor is not None:
        values.setdefault("actor_name", actor_label(actor))
    target_type = target_id = None
    target_ref = ""
    if target is not None:
        target_type = ContentType.objects.get_for_model(target)  # cached
        target_id = target.pk
        target_ref = str(target)[:200]
        if not url and hasattr(target, "get_absolute_url"):
            url = target.get_absolute_url()
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=user_id,
            kind=kind,
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            target_ref=target_ref,
            url=url,
            params=values,
            key=key or "",
            created_at=now,
        )
        for user_id in users
    ]
    if not key:
        created = Notification.objects.bulk_create(rows)
        ids = [n.pk for n in created]
    else:
        # Rows another call already made for this key are skipped by the
        # database; ours are the ones stamped with this call's time.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            Notification.objects.filter(
                recipient_id__in=users, key=key, created_at=now
            ).values_list("pk", flat=True)
        )
    if ids and settings.CRM_NOTIFY_EMAIL:
        # robust: a queue that cannot take the task is logged; the write the
        # user made has committed and must not turn into an error page.
        transaction.on_commit(lambda: _enqueue_emails(ids), robust=True)
    return len(ids)


def _active_recipients(recipients: Iterable, *, exclude) -> list[int]:
    """The ids of the active recipients, the actor left out, in one query at most."""
    ids = set()
    for r in recipients:
        if r is None:
            continue
        ids.add(r if isinstance(r, int) else r.pk)
    if exclude is not None:
        ids.discard(exclude.pk)
    if not ids:
        return []
    active = get_user_model().objects.filter(pk__in=ids, is_active=True)
    return sorted(active.values_list("pk", flat=True))


def _enqueue_emails(ids: list[int]) -> None:
    from .tasks import send_notification_emails

    send_notification_emails.enqueue(ids)


def is_same_site_path(url: str) -> bool:
    """A path on this site ("/customers/C1/"), never another host or scheme."""
    return (
        url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and not any(ord(c) < 32 for c in url)
    )


def mark_read(*, user, notification: Notification) -> None:
    """Mark one of the user's notifications read (no-op if it already is)."""
    if notification.recipient_id != user.pk:
        raise PermissionError("Not the recipient")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return (
        Notification.objects.for_user(user, "change")
        .unread()
        .update(read_at=timezone.now())
    )
