"""'Export this view' of the opportunity list, and the payments of the deals
it lists (admins: `opportunities.export_opportunity`)."""

from django.core.exceptions import PermissionDenied

from imports import exporting

from . import access
from .filters import OpportunityFilterSet
from .models import Opportunity, Payment
from .resources import opportunity_export, payment_export


class OpportunityExportView(exporting.ExportView):
    model = Opportunity
    filterset_class = OpportunityFilterSet
    list_url_name = "opportunities:opportunity_list"

    def dispatch(self, request, *args, **kwargs):
        if not access.may_use(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_export(self, filterset):
        return exporting.build(opportunity_export, filterset.custom_fields)


class PaymentExportView(OpportunityExportView):
    """Every payment of the deals the list shows with these filters, by
    deal (in the list's order is not kept: by date received, then entry)."""

    def get_export(self, filterset):
        return exporting.build(payment_export)

    def get_rows(self, filterset):
        deals = filterset.qs.order_by().values("pk")
        return (
            Payment.objects.for_user(self.request.user, "view")
            .filter(opportunity__in=deals)
            .order_by("received_on", "id")
        )
