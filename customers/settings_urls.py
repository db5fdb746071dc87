"""The tag section of the settings, mounted at /settings/tags/."""

from django.urls import path

from . import settings_views as views

app_name = "customer_settings"

urlpatterns = [
    path("", views.TagListView.as_view(), name="tag_list"),
    path("new/", views.TagCreateView.as_view(), name="tag_create"),
    path("merge/", views.TagMergeView.as_view(), name="tag_merge"),
    path("<int:pk>/", views.TagUpdateView.as_view(), name="tag_update"),
    path("<int:pk>/delete/", views.TagDeleteView.as_view(), name="tag_delete"),
]
