from django.urls import path

from . import board_views, detail_views, export_views, views

app_name = "opportunities"

urlpatterns = [
    path("", views.OpportunityListView.as_view(), name="opportunity_list"),
    path("board/", board_views.BoardView.as_view(), name="opportunity_board"),
    path(
        "export/",
        export_views.OpportunityExportView.as_view(),
        name="opportunity_export",
    ),
    path(
        "export/payments/",
        export_views.PaymentExportView.as_view(),
        name="payment_export",
    ),
    path(
        "board/<str:stage>/",
        board_views.BoardColumnView.as_view(),
        name="board_column",
    ),
    path(
        "new/", detail_views.OpportunityCreateView.as_view(), name="opportunity_create"
    ),
    path(
        "trash/", detail_views.OpportunityTrashView.as_view(), name="opportunity_trash"
    ),
    path(
        "trash/<str:opp_no>/restore/",
        detail_views.OpportunityRestoreView.as_view(),
        name="opportunity_restore",
    ),
    path(
        "<str:opp_no>/",
        detail_views.OpportunityDetailView.as_view(),
        name="opportunity_detail",
    ),
    path(
        "<str:opp_no>/edit/",
        detail_views.OpportunityUpdateView.as_view(),
        name="opportunity_update",
    ),
    path(
        "<str:opp_no>/delete/",
        detail_views.OpportunityDeleteView.as_view(),
        name="opportunity_delete",
    ),
    path(
        "<str:opp_no>/stage/",
        board_views.OpportunityMoveView.as_view(),
        name="opportunity_move",
    ),
    path(
        "<str:opp_no>/lose/",
        detail_views.OpportunityLoseView.as_view(),
        name="opportunity_lose",
    ),
    path(
        "<str:opp_no>/payments/",
        detail_views.PaymentAddView.as_view(),
        name="payment_add",
    ),
    path(
        "<str:opp_no>/payments/<int:pk>/delete/",
        detail_views.PaymentDeleteView.as_view(),
        name="payment_delete",
    ),
]
