"""The opportunity list; every row comes from Opportunity.objects.for_user().

Above the table: the filtered rows' totals (count, amount, weighted amount)
in one aggregate query; below it the forecast of the filtered open rows by
expected-close month and owner in one GROUP BY (a rep's own deals; every
owner for managers; none for customer success). The totals' count doubles as
the paginator's count, so the page does not count the rows twice.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_filters.views import FilterView

from crm import permissions
from crm.list_views import ShapedListMixin
from crm.views import RestrictedViewMixin

from . import access, selectors
from .filters import OpportunityFilterSet, stalled_since
from .lists import OPPORTUNITY_LIST
from .models import Opportunity


class OpportunityListView(ShapedListMixin, RestrictedViewMixin, FilterView):
    model = Opportunity
    filterset_class = OpportunityFilterSet
    list_spec = OPPORTUNITY_LIST
    template_name = "opportunities/opportunity_list.html"

    def dispatch(self, request, *args, **kwargs):
        if not access.may_use(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().with_list_data()

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        # The totals counted every filtered row already; the paginator says
        # "N+" beyond the cap as elsewhere.
        paginator.count = min(self.totals.count, settings.CRM_LIST_COUNT_CAP + 1)
        return paginator

    def get_context_data(self, **kwargs):
        user = self.request.user
        self.totals = selectors.totals(self.object_list)
        ctx = super().get_context_data(**kwargs)
        since = stalled_since()
        for deal in ctx["object_list"]:
            deal.stalled = deal.is_open and deal.last_activity_at < since
        board = reverse("opportunities:opportunity_board")
        ctx.update(
            totals=self.totals,
            forecast=selectors.forecast(self.object_list, user),
            stalled_days=settings.CRM_STALLED_DAYS,
            can_add=permissions.has_model_perm(user, Opportunity, "add"),
            can_export=permissions.has_model_perm(user, Opportunity, "export"),
            board_url=board
            + (f"?{ctx['filter_query']}" if ctx["filter_query"] else ""),
        )
        return ctx
