"""What the reports keep: who may open which report, and the sales targets.

The figures themselves are never stored: every report is computed by the
queries in `reports/queries/` from the rows the viewer may see.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """No table and no rows: the holder of the permissions that say which
    reports a role opens (DESIGN §4's reports column). Asked through
    `permissions.has_model_perm(user, Report, action)` with the actions
    "sales", "service", "actions", "team" and "export"."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [
            (
                "sales_report",
                _("Can open the sales reports (distribution, funnel, team, value)"),
            ),
            ("service_report", _("Can open the service report")),
            ("actions_report", _("Can open the action lists")),
            # Without it a user's team performance shows the user's own row.
            ("team_report", _("Can see every user's figures and set targets")),
            # DESIGN §4: only admins export; a report's .xlsx is an export.
            ("export_report", _("Can download reports as .xlsx")),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)

    def get_absolute_url(self):
        return reverse("reports:index")

    @classmethod
    def may(cls, user, action: str) -> bool:
        """Whether the user's role opens `action`'s reports."""
        from crm import permissions

        return permissions.has_model_perm(user, cls, action)


class SalesTarget(models.Model):
    """业绩目标: what a rep is to win in a month (and, optionally, how many new
    customers to bring). Set by managers on the targets page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    # The first day of the month the target is for.
    month = models.DateField(_("month"))
    won_amount = models.DecimalField(
        _("won amount target"), max_digits=14, decimal_places=2
    )
    new_customers = models.PositiveIntegerField(
        _("new customers target"), null=True, blank=True
    )
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-month", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "month"], name="salestarget_one_per_user_month"
            ),
            models.CheckConstraint(
                condition=Q(won_amount__gte=0), name="salestarget_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="salestarget_month_first_day"
            ),
        ]
        indexes = [models.Index(fields=["month", "user"])]

    def __str__(self):
        return f"{self.user} {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("reports:targets") + f"?month={self.month:%Y-%m}"
