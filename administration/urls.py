from django.urls import path

from . import views

app_name = "administration"

urlpatterns = [
    path("", views.SettingsIndexView.as_view(), name="index"),
    path(
        "custom-fields/",
        views.CustomFieldListView.as_view(),
        name="customfield_list",
    ),
    path(
        "custom-fields/new/",
        views.CustomFieldCreateView.as_view(),
        name="customfield_create",
    ),
    path(
        "custom-fields/<int:pk>/",
        views.CustomFieldUpdateView.as_view(),
        name="customfield_update",
    ),
    path(
        "custom-fields/<int:pk>/delete/",
        views.CustomFieldDeleteView.as_view(),
        name="customfield_delete",
    ),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserUpdateView.as_view(), name="user_update"),
    path(
        "users/<int:pk>/password/",
        views.UserPasswordView.as_view(),
        name="user_password",
    ),
    path(
        "users/<int:pk>/deactivate/",
        views.UserDeactivateView.as_view(),
        name="user_deactivate",
    ),
    path("company/", views.CompanyUpdateView.as_view(), name="company_update"),
]
