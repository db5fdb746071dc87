"""The one FilterSet of the opportunity list (the board and the forecast reuse it).

Amounts are typed the way people type them (50万, ¥500,000; `crm.fields`);
expected-close periods are calendar months and quarters of the site's local
date (a DateField, so no time zone arithmetic on the column). The filters
only narrow `Opportunity.objects.for_user()`: filtering by another owner
never shows a deal the user may not see.
"""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import customfields, permissions
from crm.fields import AmountField, DateField
from crm.widgets import AmountInput, DateInput, use_fast_selects
from customers.filters import UserFilter

from .models import OPEN_STAGES, WON_STAGES, Opportunity, Stage

OPEN = "open"
WON = "won_any"
# Stage choices with the groups people ask for first: every open stage, and
# 成交 or 售后.
STAGE_CHOICES = [
    (OPEN, _("Open (any stage)")),
    (WON, _("Won or after-sales")),
    *Stage.choices,
]


class ClosePeriod:
    THIS_MONTH = "this_month"
    NEXT_MONTH = "next_month"
    THIS_QUARTER = "this_quarter"
    NEXT_QUARTER = "next_quarter"
    OVERDUE = "overdue"
    NONE = "none"
    CUSTOM = "custom"
    choices = [
        (THIS_MONTH, _("This month")),
        (NEXT_MONTH, _("Next month")),
        (THIS_QUARTER, _("This quarter")),
        (NEXT_QUARTER, _("Next quarter")),
        (OVERDUE, _("Past the expected date (open)")),
        (NONE, _("No expected date")),
        (CUSTOM, _("Custom range")),
    ]


def month_start(day: datetime.date, months_ahead: int = 0) -> datetime.date:
    """The first day of the month `months_ahead` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months_ahead
    return datetime.date(index // 12, index % 12 + 1, 1)


def close_bounds(period: str, today: datetime.date | None = None):
    """[start, end) dates of a calendar period around `today` (site time
    zone), or (None, None) for the periods that are not a date range."""
    today = today or timezone.localdate()
    if period == ClosePeriod.THIS_MONTH:
        return month_start(today), month_start(today, 1)
    if period == ClosePeriod.NEXT_MONTH:
        return month_start(today, 1), month_start(today, 2)
    quarter = month_start(today, -((today.month - 1) % 3))
    if period == ClosePeriod.THIS_QUARTER:
        return quarter, month_start(quarter, 3)
    if period == ClosePeriod.NEXT_QUARTER:
        return month_start(quarter, 3), month_start(quarter, 6)
    return None, None


def stalled_since(now=None) -> datetime.datetime:
    """Activity before this makes an open deal stalled (DESIGN §7)."""
    now = now or timezone.now()
    return now - datetime.timedelta(days=settings.CRM_STALLED_DAYS)


def stage_rank():
    """The stage column sorts in the flow's order (线索 … 售后, 输单 last)."""
    return Case(
        *[When(stage=value, then=Value(i)) for i, value in enumerate(Stage.values)],
        output_field=IntegerField(),
    )


class TypedDateFilter(django_filters.DateFilter):
    """A date typed as 2024-03-05, 2024/3/5 or 2024年3月5日 (crm.fields)."""

    field_class = DateField


class AmountFilter(django_filters.NumberFilter):
    """An amount typed as 500000, ¥500,000 or 50万; never negative."""

    field_class = AmountField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", AmountInput(attrs={"placeholder": "50万"}))
        super().__init__(*args, **kwargs)


class OpportunityFilterForm(forms.Form):
    """Ranges the wrong way round are refused next to their upper bound."""

    def clean(self):
        data = super().clean()
        pairs = (
            ("amount_min", "amount_max", _("The highest amount is below the lowest.")),
            ("close_from", "close_to", _("The end date is before the start date.")),
        )
        for low, high, message in pairs:
            if (
                data.get(low) is not None
                and data.get(high) is not None
                and data[high] < data[low]
            ):
                self.add_error(high, message)
        return data


def owner_choices():
    """Colleagues who may own deals (sales roles); others are no choice."""
    return permissions.users_with_model_perm(Opportunity, "add").order_by("username")


class OpportunityFilterSet(
    customfields.CustomFieldsFilterSetMixin, django_filters.FilterSet
):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Opportunity ID, name or customer")}
        ),
    )
    stage = django_filters.ChoiceFilter(
        label=_("Sales stage"),
        choices=STAGE_CHOICES,
        method="filter_stage",
        empty_label=_("All"),
    )
    owner = UserFilter(label=_("Owner"), queryset=owner_choices(), empty_label=_("All"))
    customer = django_filters.CharFilter(
        label=_("Customer ID"),
        method="filter_customer",
        widget=forms.TextInput(attrs={"placeholder": "C…", "autocomplete": "off"}),
    )
    close = django_filters.ChoiceFilter(
        label=_("Expected close"),
        choices=ClosePeriod.choices,
        method="filter_close",
        empty_label=_("Any time"),
    )
    close_from = TypedDateFilter(
        label=_("Close from"),
        field_name="expected_close_date",
        lookup_expr="gte",
        widget=DateInput(),
    )
    close_to = TypedDateFilter(
        label=_("Close to"),
        field_name="expected_close_date",
        lookup_expr="lte",
        widget=DateInput(),
    )
    amount_min = AmountFilter(
        label=_("Amount from"), field_name="amount", lookup_expr="gte"
    )
    amount_max = AmountFilter(
        label=_("Amount to"), field_name="amount", lookup_expr="lte"
    )
    competitor = django_filters.CharFilter(
        label=_("Competitor"), field_name="competitor", lookup_expr="icontains"
    )
    stalled = django_filters.BooleanFilter(
        label=_("Stalled"),
        method="filter_stalled",
        widget=forms.Select(
            choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("opp_no", "opp_no"),
            ("stage_rank", "stage"),
            ("amount", "amount"),
            ("probability", "probability"),
            ("expected_close_date", "expected_close_date"),
            ("last_activity_at", "last_activity_at"),
            ("created_at", "created_at"),
        ),
    )

    class Meta:
        model = Opportunity
        fields = []
        form = OpportunityFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        ordering = data.get("ordering") if data is not None else None
        # OrderingFilter takes "a,-b": rank the stages when any part sorts them.
        if isinstance(ordering, str) and "stage" in ordering.replace("-", "").split(
            ","
        ):
            self.queryset = self.queryset.annotate(stage_rank=stage_rank())

    @property
    def form(self):
        return use_fast_selects(super().form)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_stage(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(stage__in=OPEN_STAGES)
        if value == WON:
            return queryset.filter(stage__in=WON_STAGES)
        return queryset.filter(stage=value)

    def filter_customer(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(customer__customer_no=value) if value else queryset

    def filter_close(self, queryset, name, value):
        if value == ClosePeriod.NONE:
            return queryset.filter(expected_close_date__isnull=True)
        if value == ClosePeriod.OVERDUE:
            return queryset.filter(
                stage__in=OPEN_STAGES, expected_close_date__lt=timezone.localdate()
            )
        start, end = close_bounds(value)
        if start is None:
            return queryset  # "custom": the From / To dates decide
        return queryset.filter(
            expected_close_date__gte=start, expected_close_date__lt=end
        )

    def filter_stalled(self, queryset, name, value):
        if value is None:
            return queryset
        since = stalled_since()
        if value:
            return queryset.stalled(since)
        return queryset.exclude(Q(stage__in=OPEN_STAGES, last_activity_at__lt=since))

    @property
    def qs(self):
        # A stable order so pagination never repeats or skips a row.
        qs = super().qs
        if not qs.query.order_by:
            qs = qs.order_by("-created_at", "-id")
        elif "id" not in qs.query.order_by and "-id" not in qs.query.order_by:
            qs = qs.order_by(*qs.query.order_by, "-id")
        return qs
