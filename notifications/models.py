"""In-app notifications: one row per recipient and event.

A row stores the event (its kind, who did it, what it is about, where it
leads, the values its message needs), never the rendered text: the message is
formatted when it is read, in the reader's language (`notifications.kinds`).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.querysets import RestrictedQuerySet

from .kinds import KINDS


class NotificationQuerySet(RestrictedQuerySet):
    """Everyone sees and changes their own notifications only."""

    holder_actions = {"recipient": ("view", "change")}

    def access_q(self, user, action: str) -> Q | None:
        # Only the recipient column: no role (not even a superuser's) reads
        # another person's notifications.
        if not (user.is_authenticated and user.is_active):
            return Q(pk__in=[])
        if action in self.holder_actions["recipient"]:
            return Q(recipient=user)
        return Q(pk__in=[])

    def unread(self):
        return self.filter(read_at__isnull=True)


class _Params(dict):
    """Format values: a placeholder the params lack renders empty, not an error."""

    def __missing__(self, key):
        return ""


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What it is about: a record (generic), and its number or name as text,
    # which stays readable after the record is gone.
    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_ref = models.CharField(_("about"), max_length=200, blank=True)
    # A same-site path the notification opens.
    url = models.CharField(_("link"), max_length=500, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Not empty: at most one notification per recipient with this key (a sweep
    # creating "plan overdue" again is a no-op).
    key = models.CharField(
        _("deduplication key"), max_length=200, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~Q(key=""),
                name="notification_recipient_key_uniq",
            )
        ]
        indexes = [
            # The list: mine, newest first.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                name="notification_recipient_new",
            ),
            # The bell: my unread (count), newest first.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self):
        return self.message

    def get_absolute_url(self):
        # Where it is listed; opening it (a POST) leads on to `url`.
        return reverse("notifications:notification_list")

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def message(self) -> str:
        """The text in the active language (plain text; templates escape it)."""
        kind = KINDS.get(self.kind)
        values = _Params(self.params or {})
        # The actor's current name; the name at the time if the account is gone.
        if self.actor_id:
            values["actor"] = actor_label(self.actor)
        else:
            values["actor"] = values.get("actor_name") or _("The system")
        if kind is None:
            return self.target_ref or self.kind
        count = values.get("count")
        if kind.many is not None and isinstance(count, int) and count > 1:
            return str(kind.many % values)
        return str(kind.message) % values


def actor_label(user) -> str:
    return user.get_full_name() or user.username
