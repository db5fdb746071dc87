"""The one FilterSet of the customer list, reused by export and later reports."""

from functools import partial

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm import customfields
from crm.widgets import use_fast_selects

from .forms import UserChoiceField, industry_choices, region_choices
from .models import Customer, Tag
from .selectors import assignable_users


class UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField


class CustomerFilterSet(
    customfields.CustomFieldsFilterSetMixin, django_filters.FilterSet
):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, ID, contact, phone or email")}
        ),
    )
    industry = django_filters.ChoiceFilter(
        label=_("Industry"), choices=partial(industry_choices, blank=False)
    )
    section = django_filters.CharFilter(
        label=_("Industry section"), field_name="industry__section"
    )
    region = django_filters.ChoiceFilter(
        label=_("Province"), choices=partial(region_choices, blank=False)
    )
    area = django_filters.CharFilter(label=_("Area"), field_name="region__area")
    size = django_filters.ChoiceFilter(label=_("Size"), choices=Customer.Size.choices)
    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=Customer.Level.choices
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Customer.Status.choices
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"),
        field_name="tags",
        queryset=Tag.objects.all(),
        empty_label=_("All"),
    )
    owner = UserFilter(
        label=_("Owner"), queryset=assignable_users(), empty_label=_("All")
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("customer_no", "customer_no"),
            ("name", "name"),
            ("level", "level"),
            ("status", "status"),
            ("historical_amount", "historical_amount"),
            ("renewal_date", "renewal_date"),
            ("last_followup_at", "last_followup_at"),
            ("updated_at", "updated_at"),
            ("created_at", "created_at"),
        ),
    )

    class Meta:
        model = Customer
        fields = []

    @property
    def form(self):
        return use_fast_selects(super().form)

    def filter_search(self, queryset, name, value):
        return queryset.search(value, user=getattr(self.request, "user", None))

    @property
    def qs(self):
        # A stable order so pagination never repeats or skips a row.
        qs = super().qs
        if not qs.query.order_by:
            qs = qs.order_by("-updated_at", "-id")
        elif "id" not in qs.query.order_by and "-id" not in qs.query.order_by:
            qs = qs.order_by(*qs.query.order_by, "-id")
        return qs
