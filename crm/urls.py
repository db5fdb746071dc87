from django.contrib import admin
from django.urls import include, path

from . import views
from .registry import registry

crm_patterns = (
    [path("", views.WorkbenchView.as_view(), name="workbench")],
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
