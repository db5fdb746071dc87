from django.urls import path

from . import merge_views, views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("new/", merge_views.CustomerCreateView.as_view(), name="customer_create"),
    path(
        "duplicates/",
        merge_views.CustomerDuplicatesView.as_view(),
        name="customer_duplicates",
    ),
    path("merge/", merge_views.CustomerMergeView.as_view(), name="customer_merge"),
    path("bulk/", views.CustomerBulkView.as_view(), name="customer_bulk"),
    path("export/", views.CustomerExportView.as_view(), name="customer_export"),
    path("trash/", views.CustomerTrashView.as_view(), name="customer_trash"),
    path(
        "trash/<str:customer_no>/restore/",
        views.CustomerRestoreView.as_view(),
        name="customer_restore",
    ),
    path(
        "trash/<str:customer_no>/purge/",
        views.CustomerPurgeView.as_view(),
        name="customer_purge",
    ),
    path(
        "<str:customer_no>/",
        merge_views.CustomerDetailView.as_view(),
        name="customer_detail",
    ),
    path(
        "<str:customer_no>/edit/",
        views.CustomerUpdateView.as_view(),
        name="customer_update",
    ),
    path(
        "<str:customer_no>/renewal/",
        views.CustomerRenewalView.as_view(),
        name="customer_renewal",
    ),
    path(
        "<str:customer_no>/delete/",
        views.CustomerDeleteView.as_view(),
        name="customer_delete",
    ),
    path(
        "<str:customer_no>/share/",
        views.CustomerShareView.as_view(),
        name="customer_share",
    ),
]
