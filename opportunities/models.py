"""Sales opportunities (销售机会), their stage history and payments (回款).

An opportunity hangs off a customer. Who sees it (DESIGN §4): its owner;
whoever may view the customer, if their role works opportunities (sales reps
see those of the customers they own or that were shared with them, and work
them where the customer is theirs to edit; customer success reads those of
their customers; customer service sees none); managers and admins every one.
The services (`opportunities/services.py`) are the only writers: they keep the
stage history, the customer's historical amount on a win, and refuse a payment
that would take the total over the amount.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
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
from crm.querysets import RestrictedQuerySet, SoftDeleteQuerySet
from customers.models import SEARCH_ID_LIMIT, Customer


class Stage(models.TextChoices):
    """销售阶段: 线索 → 需求分析 → 方案报价 → 合同谈判 → 成交 → 售后, and 输单."""

    LEAD = "lead", pgettext_lazy("sales stage", "Lead")
    ANALYSIS = "analysis", pgettext_lazy("sales stage", "Needs analysis")
    PROPOSAL = "proposal", pgettext_lazy("sales stage", "Proposal and quote")
    NEGOTIATION = "negotiation", pgettext_lazy("sales stage", "Contract negotiation")
    WON = "won", pgettext_lazy("sales stage", "Won")
    AFTER_SALES = "after_sales", pgettext_lazy("sales stage", "After-sales")
    LOST = "lost", pgettext_lazy("sales stage", "Lost")


# The stages an open deal moves through (and where a lost one can have been).
OPEN_STAGES = (Stage.LEAD, Stage.ANALYSIS, Stage.PROPOSAL, Stage.NEGOTIATION)
WON_STAGES = (Stage.WON, Stage.AFTER_SALES)
# The kanban board's columns, in order; lost deals leave the board.
BOARD_STAGES = OPEN_STAGES + WON_STAGES
# DESIGN §3: the probability a stage gives by default (editable per deal).
DEFAULT_PROBABILITY = {
    Stage.LEAD: 10,
    Stage.ANALYSIS: 20,
    Stage.PROPOSAL: 40,
    Stage.NEGOTIATION: 60,
    Stage.WON: 100,
    Stage.AFTER_SALES: 100,
    Stage.LOST: 0,
}


class OpportunityQuerySet(SoftDeleteQuerySet):
    """The owner works their deal; others reach it through the customer
    (`via_parent_allowed` says which roles do)."""

    holder_actions = {"owner": ("view", "change", "delete")}
    parent_field = "customer"
    parent_actions = {"view": "view", "change": "change"}

    def via_parent_allowed(self, user, action: str) -> bool:
        # Sales roles work the deals of customers they may view or edit;
        # customer success reads those of their customers; customer service,
        # who sees every customer, has no opportunity column at all.
        if permissions.has_model_perm(user, Opportunity, "add"):
            return True
        if action == "view":
            return permissions.has_model_perm(user, Customer, "manage_success")
        return False

    def open(self):
        return self.filter(stage__in=OPEN_STAGES)

    def won(self):
        return self.filter(stage__in=WON_STAGES)

    def stalled(self, since):
        """Open deals with no stage change and no follow-up since `since`
        (DESIGN §7; `last_activity_at` is kept by the services)."""
        return self.open().filter(last_activity_at__lt=since)

    def with_list_data(self):
        return self.select_related("customer", "owner")

    def search(self, text: str):
        """The opportunity ID exactly, or words of the name or the customer's name.

        As the customer search does: one UNION whose branches each use their
        own index (the ID's B-tree, the trigram indexes of the deal's and the
        customer's name on PostgreSQL), resolved to ids when it is selective;
        an OR across the two tables would read every deal (3.5 s at half a
        million). A broad search (over SEARCH_ID_LIMIT matches) stays an OR,
        which lets the list walk its sort index."""
        text = (text or "").strip()
        if not text:
            return self
        own = Q(opp_no=text.upper()) | Q(name__icontains=text)
        customers = Customer.objects.order_by().filter(name__icontains=text)
        by_customer = Q(customer__in=customers.values("pk"))
        deals = Opportunity.objects.order_by()
        matches = (
            deals.filter(own).values("pk").union(deals.filter(by_customer).values("pk"))
        ).order_by()
        ids = [row["pk"] for row in matches[: SEARCH_ID_LIMIT + 1]]
        if len(ids) <= SEARCH_ID_LIMIT:
            return self.filter(pk__in=ids)
        return self.filter(own | by_customer)


class Opportunity(
    NumberedModel, VersionedModel, SoftDeleteModel, CustomFieldsModel, TrackedModel
):
    number_prefix = "O"
    number_field = "opp_no"
    custom_field_target = CustomField.Target.OPPORTUNITY
    tracked_fields = (
        "name",
        "customer",
        "stage",
        "lost_stage",
        "lost_reason",
        "amount",
        "expected_close_date",
        "probability",
        "competitor",
        "competitor_focus",
        "owner",
        "won_at",
        "lost_at",
    )

    Stage = Stage

    opp_no = models.CharField(_("opportunity ID"), max_length=20, unique=True)
    name = models.CharField(_("opportunity name"), max_length=200)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    stage = models.CharField(
        _("sales stage"), max_length=12, choices=Stage.choices, default=Stage.LEAD
    )
    lost_stage = models.CharField(
        _("lost at stage"),
        max_length=12,
        choices=[(s.value, s.label) for s in OPEN_STAGES],
        blank=True,
    )
    lost_reason = models.TextField(_("reason lost"), max_length=1000, blank=True)
    amount = models.DecimalField(
        _("expected amount"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    expected_close_date = models.DateField(
        _("expected close date"), null=True, blank=True
    )
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"),
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    competitor = models.CharField(_("competitor"), max_length=100, blank=True)
    competitor_focus = models.CharField(
        _("customer's comparison focus"), max_length=200, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    won_at = models.DateTimeField(_("won at"), null=True, blank=True)
    lost_at = models.DateTimeField(_("lost at"), null=True, blank=True)
    # When the stage last changed (the days in the current stage).
    stage_changed_at = models.DateTimeField(_("stage changed at"), editable=False)
    # The latest of the last stage change and the last follow-up logged on
    # this deal: what "stalled" (DESIGN §7) is measured from.
    last_activity_at = models.DateTimeField(_("last activity"), editable=False)
    # What the win did to the customer, so reverting it undoes exactly that:
    # whether it set the first cooperation date, and the status it replaced
    # with 成交客户 ("" when the customer already had that status).
    win_set_first_cooperation = models.BooleanField(default=False, editable=False)
    win_previous_status = models.CharField(max_length=20, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("reassign_opportunity", _("Can reassign the owner of any opportunity")),
            # Also their payments ("export payments of this view").
            ("export_opportunity", _("Can export opportunities")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="opportunity_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="opportunity_probability_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(stage=Stage.LOST, lost_at__isnull=False) & ~Q(lost_stage="")
                | ~Q(stage=Stage.LOST) & Q(lost_at__isnull=True, lost_stage=""),
                name="opportunity_lost_has_stage_and_time",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=WON_STAGES, won_at__isnull=False)
                | ~Q(stage__in=WON_STAGES) & Q(won_at__isnull=True),
                name="opportunity_won_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["owner", "stage"]),
            # The board's columns and the stage filter, in the cards' order.
            models.Index(fields=["stage", "expected_close_date", "id"]),
            models.Index(fields=["expected_close_date", "id"]),
            models.Index(fields=["amount", "id"]),
            models.Index(fields=["stage", "last_activity_at"]),
            # The stalled list (reports' action lists), idlest first: its
            # first rows read in order, its count from the index alone (it
            # holds the columns `for_user()` checks; as key columns, since
            # SQLite has no INCLUDE).
            models.Index(
                fields=["last_activity_at", "opp_no", "id", "owner", "customer"],
                condition=Q(deleted_at__isnull=True, stage__in=OPEN_STAGES),
                name="opportunity_open_idle",
            ),
            models.Index(fields=["won_at"]),
            models.Index(fields=["-updated_at", "-id"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("opportunities:opportunity_detail", args=[self.opp_no])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def is_won(self) -> bool:
        return self.stage in WON_STAGES

    @property
    def is_lost(self) -> bool:
        return self.stage == Stage.LOST

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))

    def history_extra(self) -> dict:
        return {"payments": payment_records(self.payments.all())}

    @classmethod
    def history_label(cls, name: str):
        return _("payments") if name == "payments" else None

    @classmethod
    def history_related_model(cls, name: str):
        return Payment if name == "payments" else None


class StageChange(models.Model):
    """One move of an opportunity: from, to, when and by whom. The creation
    is the first row (from empty), so every stage's days can be counted."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    from_stage = models.CharField(
        _("from stage"), max_length=12, choices=Stage.choices, blank=True
    )
    to_stage = models.CharField(_("to stage"), max_length=12, choices=Stage.choices)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"]),
            models.Index(fields=["to_stage", "changed_at"]),
        ]

    def __str__(self):
        return f"{self.opportunity_id}: {self.from_stage} → {self.to_stage}"


class PaymentQuerySet(RestrictedQuerySet):
    """Payments follow their opportunity: seen with it, recorded by whoever
    may change it."""

    parent_field = "opportunity"
    parent_actions = {"view": "view", "change": "change", "delete": "change"}


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        OTHER = "other", _("Other")

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="payments",
    )
    amount = models.DecimalField(
        _("payment amount"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    received_on = models.DateField(_("payment date"))
    method = models.CharField(
        _("payment method"), max_length=10, choices=Method.choices, default=Method.BANK
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=["opportunity", "received_on"])]

    def __str__(self):
        return f"{self.amount} ({self.received_on})"

    def get_absolute_url(self):
        return self.opportunity.get_absolute_url() + "#payments"


def payment_records(payments) -> list[dict]:
    """Each payment's raw values as the opportunity's history keeps them."""
    return [
        {
            "id": p.pk,
            "amount": str(p.amount),
            "received_on": p.received_on.isoformat(),
            "method": p.method,
            "note": p.note,
        }
        for p in payments
    ]
