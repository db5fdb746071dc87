from django.contrib import admin
from django.urls import include, path

from . import list_views, views
from .registry import registry

crm_patterns = (
    [
        path("", views.WorkbenchView.as_view(), name="workbench"),
        # The navigation's and the bell's counts, loaded once after each page.
        path("nav/badges/", views.NavBadgesView.as_view(), name="nav_badges"),
        # Shaped lists: the column chooser and saved views (crm/list_views.py).
        path(
            "lists/<slug:list_key>/columns/",
            list_views.ListColumnsView.as_view(),
            name="list_columns",
        ),
        path(
            "lists/<slug:list_key>/views/new/",
            list_views.SavedViewCreateView.as_view(),
            name="savedview_create",
        ),
        path(
            "lists/views/<int:pk>/edit/",
            list_views.SavedViewUpdateView.as_view(),
            name="savedview_update",
        ),
        path(
            "lists/views/<int:pk>/delete/",
            list_views.SavedViewDeleteView.as_view(),
            name="savedview_delete",
        ),
    ],
    "crm",
)

urlpatterns = [
    path("", include(crm_patterns)),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Each app's pages, as registered in its AppConfig.ready().
    *[path(prefix, include(module)) for prefix, module in registry.urls],
    path("admin/", admin.site.urls),
]
