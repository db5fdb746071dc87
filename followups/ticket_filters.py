"""The one FilterSet of the ticket queue (its tabs, filters, search, sort)."""

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import customfields
from crm.widgets import use_fast_selects
from customers.filters import UserFilter
from customers.selectors import assignable_users

from .models import Ticket

TABS = (
    ("mine", _("Mine")),
    ("unassigned", _("Unassigned")),
    ("overdue", _("Overdue")),
    ("all", _("All")),
)
# The open tabs list the most urgent first; "all" the newest first.
TAB_ORDER = {
    "mine": ("due_at", "id"),
    "unassigned": ("due_at", "id"),
    "overdue": ("due_at", "id"),
}
DEFAULT_TAB = "all"


def ranked(choices, name: str):
    """A column sorting `name` in the choices' own order (低 < 中 < 高 < 紧急),
    not alphabetically by code."""
    return Case(
        *[
            When(**{name: value}, then=Value(i))
            for i, (value, _l) in enumerate(choices)
        ],
        output_field=IntegerField(),
    )


class TicketFilterSet(
    customfields.CustomFieldsFilterSetMixin, django_filters.FilterSet
):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Ticket ID, subject or description")}
        ),
    )
    tab = django_filters.ChoiceFilter(
        label=_("Queue"), choices=TABS, method="filter_tab", empty_label=None
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Ticket.Kind.choices)
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Ticket.Priority.choices
    )
    status = django_filters.ChoiceFilter(
        label=_("Ticket status"), choices=Ticket.Status.choices
    )
    customer = django_filters.CharFilter(
        label=_("Customer ID"),
        method="filter_customer",
        widget=forms.TextInput(attrs={"placeholder": "C…", "autocomplete": "off"}),
    )
    assignee = UserFilter(
        label=_("Assignee"), queryset=assignable_users(), empty_label=_("All")
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("ticket_no", "ticket_no"),
            ("priority_rank", "priority"),
            ("status_rank", "status"),
            ("due_at", "due_at"),
            ("created_at", "created_at"),
        ),
    )

    class Meta:
        model = Ticket
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.queryset = self.queryset.annotate(
            priority_rank=ranked(Ticket.Priority.choices, "priority"),
            status_rank=ranked(Ticket.Status.choices, "status"),
        )

    @property
    def form(self):
        return use_fast_selects(super().form)

    @property
    def current_tab(self) -> str:
        tab = self.data.get("tab", "") if self.data is not None else ""
        return tab if tab in dict(TABS) else DEFAULT_TAB

    def without_tab(self):
        """The rows every other filter leaves, whatever the tab (for the tabs'
        counts); None when the filters are not valid."""
        if not self.is_bound:
            return self.queryset
        if not self.is_valid():
            return None
        queryset = self.queryset
        for name, value in self.form.cleaned_data.items():
            if name not in ("tab", "ordering"):
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_customer(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(customer__customer_no=value) if value else queryset

    def filter_tab(self, queryset, name, value):
        return tab_rows(queryset, value, getattr(self.request, "user", None))

    @property
    def qs(self):
        # A stable order so pagination never repeats or skips a row.
        qs = super().qs
        if not qs.query.order_by:
            qs = qs.order_by(*TAB_ORDER.get(self.current_tab, ("-created_at", "-id")))
        elif "id" not in qs.query.order_by and "-id" not in qs.query.order_by:
            qs = qs.order_by(*qs.query.order_by, "-id")
        return qs


def tab_rows(queryset, tab: str, user, now=None):
    """The rows of a queue tab: mine (assigned to me, open), unassigned
    (open, nobody's), overdue (open, past the due time) or all."""
    if tab == "mine":
        return queryset.open().filter(assignee=user)
    if tab == "unassigned":
        return queryset.open().filter(assignee__isnull=True)
    if tab == "overdue":
        return queryset.overdue(now or timezone.now())
    return queryset
