"""The settings pages at /settings/: the index of the sections every module
registered, and this app's sections (custom fields, users, the company)."""

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import (
    DeleteView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
)
from django.views.generic.detail import SingleObjectMixin

from crm.models import CustomField
from crm.registry import registry
from crm.views import RestrictedViewMixin, StaleEditMixin

from . import access, selectors, services
from .forms import (
    CompanySettingsForm,
    CustomFieldForm,
    UserCreateForm,
    UserPasswordForm,
    UserUpdateForm,
)
from .models import CompanySettings

User = get_user_model()


class SettingsSectionMixin:
    """A page of the settings section registered as `section` (its URL name):
    a 403 for whoever the section is not visible to. Pages get the sections
    the user may open, for the settings' own navigation."""

    section = ""

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def allowed(self, user) -> bool:
        return any(s.url_name == self.section for s in self.sections(user))

    def sections(self, user):
        if not hasattr(self, "_sections"):
            self._sections = registry.settings_sections_for(user)
        return self._sections

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            settings_sections=self.sections(self.request.user),
            current_section=self.section,
            **kwargs,
        )


class SettingsIndexView(SettingsSectionMixin, TemplateView):
    template_name = "administration/index.html"

    def allowed(self, user) -> bool:
        return access.may_open_settings(user)


# Custom fields ---------------------------------------------------------------


def target_or_default(value) -> str:
    return value if value in CustomField.Target.values else CustomField.Target.CUSTOMER


def list_url(target: str) -> str:
    return (
        reverse("administration:customfield_list") + "?" + urlencode({"target": target})
    )


class CustomFieldListView(SettingsSectionMixin, TemplateView):
    section = "administration:customfield_list"
    template_name = "administration/customfield_list.html"

    def get_context_data(self, **kwargs):
        target = target_or_default(self.request.GET.get("target"))
        counts = selectors.target_counts()
        return super().get_context_data(
            target=target,
            target_label=CustomField.Target(target).label,
            targets=[
                {"value": v, "label": label, "count": counts.get(v, 0)}
                for v, label in CustomField.Target.choices
            ],
            fields=selectors.custom_fields(target),
            **kwargs,
        )


class CustomFieldFormMixin(SettingsSectionMixin):
    section = "administration:customfield_list"
    model = CustomField
    form_class = CustomFieldForm
    template_name = "administration/customfield_form.html"

    def get_context_data(self, **kwargs):
        if "form" not in kwargs:
            kwargs["form"] = self.get_form()
        kwargs["unfit_warning"] = kwargs["form"].has_error("__all__", "unfit")
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            field = self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"label": field.label})
        return HttpResponseRedirect(list_url(field.target))


class CustomFieldCreateView(CustomFieldFormMixin, FormView):
    def get_initial(self):
        target = target_or_default(self.request.GET.get("target"))
        last = selectors.custom_fields(target).last()
        return {"target": target, "order": (last.order + 10) if last else 10}

    @property
    def success_message(self):
        return _("Custom field “%(label)s” added.")

    def save(self, form):
        return services.customfield_create(
            actor=self.request.user, data=form.service_data()
        )


class CustomFieldUpdateView(CustomFieldFormMixin, UpdateView):
    @property
    def success_message(self):
        return _("Custom field “%(label)s” saved.")

    def save(self, form):
        return services.customfield_update(
            actor=self.request.user, field=self.object, data=form.service_data()
        )


class CustomFieldDeleteView(SettingsSectionMixin, DeleteView):
    section = "administration:customfield_list"
    model = CustomField
    template_name = "administration/customfield_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            held=selectors.records_with_value(self.object), **kwargs
        )

    def form_valid(self, form):
        field = self.object
        services.customfield_delete(actor=self.request.user, field=field)
        messages.success(
            self.request,
            _("Custom field “%(label)s” deleted.") % {"label": field.label},
        )
        return HttpResponseRedirect(list_url(field.target))


# Users and roles -------------------------------------------------------------


class UserListView(SettingsSectionMixin, ListView):
    section = "administration:user_list"
    template_name = "administration/user_list.html"
    paginate_by = 50

    def get_queryset(self):
        return selectors.users()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for user in context["object_list"]:
            user.role_text = selectors.role_label(user)
            user.editable = may_edit(self.request.user, user)
        return context


def may_edit(actor, user) -> bool:
    # Superusers hold every permission: only another superuser manages one.
    return actor.is_superuser or not user.is_superuser


class UserObjectMixin(SettingsSectionMixin, SingleObjectMixin):
    """A page about one account (edit, password, deactivate)."""

    section = "administration:user_list"
    model = User
    context_object_name = "account"

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        self.object = get_object_or_404(User, pk=kwargs["pk"])
        if not may_edit(request.user, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.object}


class UserCreateView(SettingsSectionMixin, FormView):
    section = "administration:user_list"
    form_class = UserCreateForm
    template_name = "administration/user_form.html"

    def form_valid(self, form):
        data = form.cleaned_data
        user = services.user_create(
            actor=self.request.user,
            username=data["username"],
            full_name=data["full_name"],
            email=data["email"],
            role=data["role"],
            password=data["password1"],
        )
        messages.success(
            self.request,
            _("User %(username)s created; they can sign in now.")
            % {"username": user.username},
        )
        return HttpResponseRedirect(reverse("administration:user_list"))


class UserUpdateView(UserObjectMixin, FormView):
    form_class = UserUpdateForm
    template_name = "administration/user_form.html"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.user_update(
                actor=self.request.user,
                user=self.object,
                full_name=data["full_name"],
                email=data["email"],
                role=data["role"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("User %(username)s saved.") % {"username": self.object.username},
        )
        return HttpResponseRedirect(reverse("administration:user_list"))


class UserPasswordView(UserObjectMixin, FormView):
    form_class = UserPasswordForm
    template_name = "administration/user_password_form.html"

    def form_valid(self, form):
        services.user_set_password(
            actor=self.request.user,
            user=self.object,
            password=form.cleaned_data["new_password1"],
        )
        if self.object.pk == self.request.user.pk:
            update_session_auth_hash(self.request, self.object)
        messages.success(
            self.request,
            _("The password of %(username)s was changed.")
            % {"username": self.object.username},
        )
        return HttpResponseRedirect(reverse("administration:user_list"))


class UserDeactivateView(UserObjectMixin, TemplateView):
    template_name = "administration/user_confirm_deactivate.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            is_self=self.object.pk == self.request.user.pk, **kwargs
        )

    def post(self, request, *args, **kwargs):
        try:
            services.user_deactivate(actor=request.user, user=self.object)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(
                request,
                _("User %(username)s deactivated; they can no longer sign in.")
                % {"username": self.object.username},
            )
        return HttpResponseRedirect(reverse("administration:user_list"))


# The company -----------------------------------------------------------------


class CompanyUpdateView(
    SettingsSectionMixin, StaleEditMixin, RestrictedViewMixin, UpdateView
):
    section = "administration:company_update"
    model = CompanySettings
    form_class = CompanySettingsForm
    permission_action = "change"
    template_name = "administration/company_form.html"

    @property
    def success_message(self):
        return _("Company settings saved.")

    def get_object(self, queryset=None):
        CompanySettings.load()
        self.kwargs["pk"] = CompanySettings.SINGLETON
        return super().get_object(queryset)

    def save_form(self, form, formsets):
        data = {
            name: form.cleaned_data[name] for name in CompanySettings.tracked_fields
        }
        return self.save_restricted(
            lambda: services.company_update(
                actor=self.request.user,
                data=data,
                expected_version=form.cleaned_data["version"] or 0,
            )
        )
