from django.urls import path

from . import target_views, views
from .catalog import REPORTS

app_name = "reports"

urlpatterns = [
    path("", views.ReportIndexView.as_view(), name="index"),
    *[
        path(f"{spec.key}/", views.ReportView.as_view(report=spec.key), name=spec.key)
        for spec in REPORTS
    ],
    path("targets/", target_views.SalesTargetView.as_view(), name="targets"),
]
