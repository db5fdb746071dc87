"""The one FilterSet of the follow-up list (the reports reuse it later).

Periods are bounds in the site's time zone (`selectors.day_bounds`), so
"this week" on a Monday 00:30 in Shanghai is the week that just began, and
the filters compare `occurred_at` with aware times, riding its indexes.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import customfields
from crm.fields import DateField
from crm.widgets import DateInput, use_fast_selects
from customers.filters import UserFilter
from customers.selectors import assignable_users

from .models import FollowUp
from .selectors import day_bounds, site_zone


class PeriodChoices:
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"
    choices = [
        (WEEK, _("This week")),
        (MONTH, _("This month")),
        (CUSTOM, _("Custom range")),
    ]


def period_bounds(period: str, now=None):
    """(start, end) aware datetimes of this week (from Monday) or this month."""
    now = now or timezone.now()
    start, _tomorrow = day_bounds(now)
    if period == PeriodChoices.WEEK:
        start -= datetime.timedelta(days=start.weekday())
        return start, start + datetime.timedelta(days=7)
    if period == PeriodChoices.MONTH:
        start = start.replace(day=1)
        following = (start + datetime.timedelta(days=32)).replace(day=1)
        return start, following
    return None, None


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=site_zone())


class TypedDateFilter(django_filters.DateFilter):
    """A date typed as 2024-03-05, 2024/3/5 or 2024年3月5日 (crm.fields)."""

    field_class = DateField


class FollowUpFilterSet(
    customfields.CustomFieldsFilterSetMixin, django_filters.FilterSet
):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Content, feedback or record ID")}
        ),
    )
    period = django_filters.ChoiceFilter(
        label=_("Period"),
        choices=PeriodChoices.choices,
        method="filter_period",
        empty_label=_("All time"),
    )
    start = TypedDateFilter(label=_("From"), method="filter_start", widget=DateInput())
    end = TypedDateFilter(label=_("To"), method="filter_end", widget=DateInput())
    method = django_filters.ChoiceFilter(
        label=_("Method"), choices=FollowUp.Method.choices, empty_label=_("All")
    )
    user = UserFilter(
        label=_("Followed up by"),
        queryset=assignable_users(),
        empty_label=_("All"),
    )
    customer = django_filters.CharFilter(
        label=_("Customer ID"),
        field_name="customer__customer_no",
        method="filter_customer",
    )
    owner = UserFilter(
        label=_("Customer owner"),
        field_name="customer__owner",
        queryset=assignable_users(),
        empty_label=_("All"),
    )
    open_plan = django_filters.BooleanFilter(
        label=_("Open plan"),
        method="filter_open_plan",
        widget=forms.Select(
            choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("occurred_at", "occurred_at"),
            ("record_no", "record_no"),
            ("next_at", "next_at"),
            ("updated_at", "updated_at"),
        ),
    )

    class Meta:
        model = FollowUp
        fields = []

    @property
    def form(self):
        return use_fast_selects(super().form)

    def filter_search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(content__icontains=text)
            | Q(feedback__icontains=text)
            | Q(record_no=text.upper())
        )

    def filter_period(self, queryset, name, value):
        start, end = period_bounds(value)
        if start is None:
            return queryset  # "custom": the From / To dates decide
        return queryset.filter(occurred_at__gte=start, occurred_at__lt=end)

    def filter_start(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_midnight(value))

    def filter_end(self, queryset, name, value):
        return queryset.filter(
            occurred_at__lt=_midnight(value + datetime.timedelta(days=1))
        )

    def filter_customer(self, queryset, name, value):
        return queryset.filter(customer__customer_no=value.strip().upper())

    def filter_open_plan(self, queryset, name, value):
        open_plans = Q(next_at__isnull=False, next_done=False)
        return queryset.filter(open_plans) if value else queryset.exclude(open_plans)

    @property
    def qs(self):
        # A stable order so pagination never repeats or skips a row.
        qs = super().qs
        if not qs.query.order_by:
            qs = qs.order_by("-occurred_at", "-id")
        elif "id" not in qs.query.order_by and "-id" not in qs.query.order_by:
            qs = qs.order_by(*qs.query.order_by, "-id")
        return qs
