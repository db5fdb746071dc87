from django.urls import path

from . import export_views
from . import ticket_views as views

app_name = "tickets"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket_list"),
    path("new/", views.TicketCreateView.as_view(), name="ticket_create"),
    path("export/", export_views.TicketExportView.as_view(), name="ticket_export"),
    path("<str:ticket_no>/", views.TicketDetailView.as_view(), name="ticket_detail"),
    path(
        "<str:ticket_no>/edit/", views.TicketUpdateView.as_view(), name="ticket_update"
    ),
    path(
        "<str:ticket_no>/status/",
        views.TicketTransitionView.as_view(),
        name="ticket_transition",
    ),
    path(
        "<str:ticket_no>/assign/",
        views.TicketAssignView.as_view(),
        name="ticket_assign",
    ),
    path(
        "<str:ticket_no>/comments/",
        views.TicketCommentView.as_view(),
        name="ticket_comment",
    ),
]
