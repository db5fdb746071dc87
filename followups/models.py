"""Follow-up records (跟进记录) and service tickets (服务工单) with their comments.

Both hang off a customer and are visible to whoever may view that customer,
within the role's column of DESIGN §4 (the querysets below say how). The
services (`followups/services.py`, `followups/ticket_services.py`) are the
only writers; they record history and refuse stale edits.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm import permissions
from crm.features import (
    CustomFieldsModel,
    NumberedModel,
    SoftDeleteModel,
    TrackedModel,
    VersionedModel,
)
from crm.models import CustomField
from crm.querysets import SoftDeleteQuerySet
from customers.models import Contact, Customer


class FollowUpQuerySet(SoftDeleteQuerySet):
    """Seen by whoever may view the customer; changed by the one who wrote it
    (or a role holding the model permission: admins, sales managers)."""

    holder_actions = {"user": ("view", "change")}
    parent_field = "customer"
    parent_actions = {"view": "view"}

    def open_plans(self):
        """Follow-ups with a next plan not done yet."""
        return self.filter(next_at__isnull=False, next_done=False)


class FollowUp(
    NumberedModel, VersionedModel, SoftDeleteModel, CustomFieldsModel, TrackedModel
):
    number_prefix = "F"
    number_field = "record_no"
    custom_field_target = CustomField.Target.FOLLOWUP
    tracked_fields = (
        "opportunity",
        "occurred_at",
        "method",
        "user",
        "content",
        "feedback",
        "next_at",
        "next_owner",
        "next_goal",
        "next_done",
    )

    class Method(models.TextChoices):
        # In context: "Phone" and "E-mail" are also a contact's details.
        PHONE = "phone", pgettext_lazy("follow-up method", "Phone")
        EMAIL = "email", pgettext_lazy("follow-up method", "E-mail")
        MEETING = "meeting", pgettext_lazy("follow-up method", "In person")
        ONLINE = "online", pgettext_lazy("follow-up method", "Online meeting")

    record_no = models.CharField(_("record ID"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    # Optional: the customer's deal this follow-up was about (it keeps the
    # deal from counting as stalled).
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        related_name="followups",
        null=True,
        blank=True,
    )
    occurred_at = models.DateTimeField(_("follow-up time"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followed up by"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    content = models.TextField(_("content"), max_length=5000)
    feedback = models.TextField(_("customer feedback"), max_length=5000, blank=True)
    # The next plan (下次跟进计划); no time means no plan (无).
    next_at = models.DateTimeField(_("next follow-up time"), null=True, blank=True)
    next_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("next follow-up by"),
        on_delete=models.PROTECT,
        related_name="planned_followups",
        null=True,
        blank=True,
    )
    next_goal = models.CharField(_("next follow-up goal"), max_length=200, blank=True)
    next_done = models.BooleanField(_("plan done"), default=False)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-occurred_at", "-id"]
        permissions = [("export_followup", _("Can export follow-ups"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_at__isnull=True, next_owner__isnull=True)
                | Q(next_at__isnull=False, next_owner__isnull=False),
                name="followup_plan_has_time_and_owner",
            ),
        ]
        indexes = [
            # The customer page's timeline, newest first.
            models.Index(fields=["customer", "-occurred_at"]),
            # "My follow-ups" and the follower filter, in the list's order
            # (live rows, the only rows the list shows); and a follower's
            # follow-ups in a period, with their customers, from the index
            # alone (team performance for a month: one range per follower).
            models.Index(
                fields=["user", "-occurred_at", "-id", "customer"],
                condition=Q(deleted_at__isnull=True),
                name="followup_alive_user",
            ),
            models.Index(fields=["method", "-occurred_at"]),
            # The list sorted by the next follow-up time.
            models.Index(fields=["next_at", "id"]),
            # The list's order over live rows (the only rows it shows), and
            # the reports' and the dashboard's counts per period, per follower
            # and of customers followed, read from the index alone.
            models.Index(
                fields=["-occurred_at", "-id", "user", "customer"],
                condition=Q(deleted_at__isnull=True),
                name="followup_alive_occurred",
            ),
            # Team performance's follow-ups and customers followed per
            # follower: the index gives the rows grouped by follower and
            # customer, so COUNT(DISTINCT customer) reads no table and sorts
            # nothing new (a year at a million customers: 2.1 s to 0.7 s).
            models.Index(
                fields=["user", "customer", "occurred_at"],
                condition=Q(deleted_at__isnull=True),
                name="followup_alive_follower",
            ),
            # The agenda: a user's open plans in time order, live rows only.
            models.Index(
                fields=["next_owner", "next_at"],
                condition=Q(next_done=False, deleted_at__isnull=True),
                name="followup_open_plan",
            ),
        ]

    def __str__(self):
        return self.record_no

    def get_absolute_url(self):
        return reverse("followups:followup_detail", args=[self.record_no])


class TicketQuerySet(SoftDeleteQuerySet):
    """Seen by whoever may view the customer (reps: their customers' tickets;
    customer success: their customers'); the assignee always sees and works
    the ticket they were pulled into. Customer service and admins hold the
    model permissions and work every ticket."""

    holder_actions = {"assignee": ("view", "change", "comment")}
    parent_field = "customer"
    parent_actions = {"view": "view", "comment": "view"}

    def via_parent_allowed(self, user, action: str) -> bool:
        # Commenting through the customer is customer success's column
        # ("on visible: view, comment"); sales roles only read the tickets.
        if action == "comment":
            return permissions.has_model_perm(user, Customer, "manage_success")
        return True

    def open(self):
        """Tickets still being worked: new, in progress, awaiting the customer."""
        return self.filter(status__in=Ticket.OPEN_STATUSES)

    def overdue(self, now):
        """Open tickets past their SLA due time (the (status, due_at) index)."""
        return self.open().filter(due_at__lt=now)

    def with_list_data(self):
        """What the queue, the customer's card and the workbench show per row."""
        return self.select_related("customer", "assignee", "contact")

    def search(self, text: str):
        """The ticket ID exactly, or words of the subject or description."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(ticket_no=text.upper())
            | Q(subject__icontains=text)
            | Q(description__icontains=text)
        )


class Ticket(
    NumberedModel, VersionedModel, SoftDeleteModel, CustomFieldsModel, TrackedModel
):
    number_prefix = "S"
    number_field = "ticket_no"
    custom_field_target = CustomField.Target.TICKET
    tracked_fields = (
        "contact",
        "kind",
        "priority",
        "status",
        "assignee",
        "subject",
        "description",
        "resolution",
        "due_at",
        "satisfaction",
    )

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        COMPLAINT = "complaint", _("Complaint")
        REQUEST = "request", _("Service request")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Awaiting customer confirmation")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    # DESIGN §3: the SLA due time from the priority.
    SLA = {
        Priority.URGENT: timedelta(hours=4),
        Priority.HIGH: timedelta(hours=24),
        Priority.MEDIUM: timedelta(days=3),
        Priority.LOW: timedelta(days=7),
    }
    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)

    ticket_no = models.CharField(_("ticket ID"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        related_name="tickets",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=Priority.choices,
        default=Priority.MEDIUM,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
        null=True,
        blank=True,
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    resolution = models.TextField(_("resolution"), max_length=5000, blank=True)
    due_at = models.DateTimeField(_("due"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="opened_tickets",
    )
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("comment_ticket", _("Can comment on any ticket")),
            ("export_ticket", _("Can export tickets")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_1_to_5",
            ),
        ]
        indexes = [
            # The queue: open tickets by due time, per assignee or unassigned.
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["assignee", "status", "due_at"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["kind", "-created_at"]),
            models.Index(fields=["priority", "-created_at"]),
            models.Index(fields=["-created_at", "-id"]),
        ]

    def __str__(self):
        return self.ticket_no

    def get_absolute_url(self):
        return reverse("tickets:ticket_detail", args=[self.ticket_no])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class TicketComment(models.Model):
    """A note on a ticket's timeline, by anyone working or following it."""

    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="ticket_comments",
    )
    body = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket comment")
        verbose_name_plural = _("ticket comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self):
        return f"{self.ticket_id}: {self.body[:40]}"


class CalendarToken(models.Model):
    """The secret in a user's private iCalendar feed URL of their plans.

    Whoever holds the URL reads the feed without logging in (a phone's
    calendar subscribes to it), so the token is long and random, one per
    user; regenerating replaces it, revoking deletes it (the old URL is 404).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_token",
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self):
        return f"{self.user} calendar feed"

    def get_absolute_url(self):
        return reverse("followups:calendar_feed", args=[self.token])
