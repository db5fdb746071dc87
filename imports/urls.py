from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportListView.as_view(), name="import_list"),
    path("new/", views.ImportCreateView.as_view(), name="import_create"),
    path(
        "templates/<str:module>.xlsx",
        views.ImportTemplateView.as_view(),
        name="import_template",
    ),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("<int:pk>/mapping/", views.ImportMappingView.as_view(), name="import_mapping"),
    path("<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import_confirm"),
    path(
        "<int:pk>/progress/",
        views.ImportProgressView.as_view(),
        name="import_progress",
    ),
    path(
        "<int:pk>/errors.xlsx", views.ImportErrorsView.as_view(), name="import_errors"
    ),
]
