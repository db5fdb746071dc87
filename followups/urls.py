from django.urls import path

from . import export_views, views

app_name = "followups"

urlpatterns = [
    path("", views.FollowUpListView.as_view(), name="followup_list"),
    path("new/", views.FollowUpCreateView.as_view(), name="followup_create"),
    path("agenda/", views.AgendaView.as_view(), name="agenda"),
    path("export/", export_views.FollowUpExportView.as_view(), name="followup_export"),
    path(
        "calendar/token/",
        views.CalendarTokenView.as_view(),
        name="calendar_token",
    ),
    path(
        "calendar/<str:token>.ics",
        views.CalendarFeedView.as_view(),
        name="calendar_feed",
    ),
    path("trash/", views.FollowUpTrashView.as_view(), name="followup_trash"),
    path(
        "trash/<str:record_no>/restore/",
        views.FollowUpRestoreView.as_view(),
        name="followup_restore",
    ),
    path(
        "<str:record_no>/", views.FollowUpDetailView.as_view(), name="followup_detail"
    ),
    path(
        "<str:record_no>/edit/",
        views.FollowUpUpdateView.as_view(),
        name="followup_update",
    ),
    path(
        "<str:record_no>/delete/",
        views.FollowUpDeleteView.as_view(),
        name="followup_delete",
    ),
    path(
        "<str:record_no>/done/",
        views.FollowUpCompletePlanView.as_view(),
        name="followup_complete",
    ),
]
