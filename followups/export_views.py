"""'Export this view' of the follow-up list and the ticket queue (admins)."""

from imports import exporting

from . import selectors
from .filters import FollowUpFilterSet
from .models import FollowUp, Ticket
from .resources import followup_export, ticket_export
from .ticket_filters import TicketFilterSet


class FollowUpExportView(exporting.ExportView):
    model = FollowUp
    filterset_class = FollowUpFilterSet
    list_url_name = "followups:followup_list"

    def get_export(self, filterset):
        return exporting.build(followup_export, filterset.custom_fields)

    def get_rows(self, filterset):
        return selectors.with_opportunity(filterset.qs, self.request.user)


class TicketExportView(exporting.ExportView):
    """The queue's tab is one of its filters: the export keeps it too."""

    model = Ticket
    filterset_class = TicketFilterSet
    list_url_name = "tickets:ticket_list"

    def get_export(self, filterset):
        return exporting.build(ticket_export, filterset.custom_fields)
