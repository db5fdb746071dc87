"""Writes of the tag settings (create, rename/recolour, merge, delete).

Keyword-only and atomic. Merging and deleting change the tags of customers:
each customer changed gets a new version (an edit form opened before merges
instead of putting a removed tag back) and a history entry saying which tags
it lost and gained, as `customers_tag` does; the tags that disappear are
logged as a security event with the number of customers they were on.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm import history
from crm.models import HistoryEntry, SecurityEvent

from .models import Customer, Tag

Link = Customer.tags.through
BATCH = 1000


def tag_create(*, actor, name: str, colour: str) -> Tag:
    with transaction.atomic():
        tag = Tag(name=name, colour=colour)
        tag.full_clean()
        tag.save()
        history.record(
            tag,
            actor,
            HistoryEntry.Action.CREATE,
            [
                {"field": "name", "old": "", "new": name},
                {"field": "colour", "old": "", "new": colour},
            ],
        )
        return tag


def tag_update(*, actor, tag: Tag, name: str, colour: str) -> Tag:
    """Rename and/or recolour; customers keep the tag (links are by id)."""
    with transaction.atomic():
        current = Tag.objects.select_for_update().get(pk=tag.pk)
        before = {"name": current.name, "colour": current.colour}
        current.name, current.colour = name, colour
        current.full_clean()
        current.save()
        changes = history.diff(before, {"name": name, "colour": colour})
        if changes:
            history.record(current, actor, HistoryEntry.Action.UPDATE, changes)
        return current


def _untag(actor, tag_ids: list[int], target: Tag | None = None) -> int:
    """Take the tags `tag_ids` off every customer holding one (trash included)
    and, with `target`, put `target` on each of them once. Returns how many
    customers changed."""
    links = Link.objects.filter(tag_id__in=tag_ids)
    customers = links.values("customer_id")
    lost: dict[int, list[str]] = {}
    for customer_id, name in links.values_list("customer_id", "tag__name").order_by(
        "customer_id", "tag__name"
    ):
        lost.setdefault(customer_id, []).append(name)
    if not lost:
        return 0
    gained = set()
    if target is not None:
        had = set(
            Link.objects.filter(tag=target, customer_id__in=customers).values_list(
                "customer_id", flat=True
            )
        )
        gained = set(lost) - had
        Link.objects.bulk_create(
            [Link(customer_id=pk, tag_id=target.pk) for pk in sorted(gained)],
            batch_size=BATCH,
        )
    Customer._base_manager.filter(pk__in=customers).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    versions = dict(
        Customer._base_manager.filter(pk__in=customers).values_list("pk", "version")
    )
    history.record_many(
        Customer,
        actor,
        HistoryEntry.Action.UPDATE,
        (
            (
                pk,
                versions[pk],
                [
                    {
                        "field": "tags",
                        "old": names,
                        "new": [target.name] if pk in gained else [],
                    }
                ],
            )
            for pk, names in lost.items()
        ),
        batch_size=BATCH,
    )
    links.delete()
    return len(lost)


def tags_merge(*, actor, sources, target: Tag) -> int:
    """Merge `sources` into `target`: their customers carry `target` (exactly
    one link each) and the source tags are deleted. Returns the number of
    customers whose tags changed."""
    with transaction.atomic():
        locked = list(
            Tag.objects.select_for_update()
            .filter(pk__in=[t.pk for t in sources])
            .exclude(pk=target.pk)
            .order_by("name")
        )
        target = Tag.objects.select_for_update().get(pk=target.pk)
        ids = [t.pk for t in locked]
        changed = _untag(actor, ids, target)
        names = [t.name for t in locked]
        history.record(
            target,
            actor,
            HistoryEntry.Action.UPDATE,
            [{"field": "merged", "old": names, "new": [target.name]}],
        )
        history.audit(
            actor,
            SecurityEvent.Kind.PURGE,
            f"{'、'.join(names)} → {target.name}",
            rows=changed,
            what="tag_merge",
        )
        Tag.objects.filter(pk__in=ids).delete()
        return changed


def tag_delete(*, actor, tag: Tag) -> int:
    """Delete a tag; customers lose it. Returns how many customers changed."""
    with transaction.atomic():
        tag = Tag.objects.select_for_update().get(pk=tag.pk)
        changed = _untag(actor, [tag.pk])
        history.record(
            tag,
            actor,
            HistoryEntry.Action.DELETE,
            [{"field": "name", "old": tag.name, "new": ""}],
        )
        history.audit(
            actor, SecurityEvent.Kind.PURGE, tag.name, rows=changed, what="tag"
        )
        tag.delete()
        return changed
