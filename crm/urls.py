from django.contrib import admin
from django.urls import include, path

from . import views

crm_patterns = (
    [path("", views.WorkbenchView.as_view(), name="workbench")],
    "crm",
)

urlpatterns = [
    path("", include(crm_patterns)),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("customers.urls")),
    path("admin/", admin.site.urls),
]
