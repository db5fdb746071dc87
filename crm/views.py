"""Shared view machinery: the one permission mixin, the workbench, login."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from . import history, permissions, privacy
from .auth import ThrottledAuthenticationForm
from .registry import registry


class RestrictedViewMixin:
    """Rows come from `Model.objects.for_user()`; hidden = 404, forbidden = 403.

    `permission_action` is what the view does to its object ("view", "change",
    "delete", …); objects are first looked up among those the user may view, so
    a record the user may not see is a 404 exactly like a missing one.
    `model_permission` names an action the user's role must grant on every row
    of the model (create, export, the trash); without it the view is a 403.

    Forms get every related-object field restricted to the rows the user may
    see (NetBox's `restrict_form_fields`), and `save_restricted()` re-checks
    the saved record against the restricted queryset inside the transaction.
    """

    permission_action = "view"
    model_permission = None

    def dispatch(self, request, *args, **kwargs):
        if self.model_permission and not permissions.has_model_perm(
            request.user, self.model, self.model_permission
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user, "view")

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        action = self.permission_action
        if action != "view" and not (
            self.model.objects.for_user(self.request.user, action)
            .filter(pk=obj.pk)
            .exists()
        ):
            raise PermissionDenied
        return obj

    def get_form(self, form_class=None):
        return restrict_form_fields(super().get_form(form_class), self.request.user)

    def save_restricted(self, save):
        """Run `save()` (a service call) and keep its result only if the user may
        still see the record it returns; otherwise roll it back (403)."""
        with transaction.atomic():
            obj = save()
            visible = self.model.objects.for_user(self.request.user, "view")
            if not visible.filter(pk=obj.pk).exists():
                raise PermissionDenied
        return obj


class StaleEditMixin:
    """A save refused as stale shows what changed meanwhile, in the reader's
    language and masked as the reader's access requires; the form keeps the
    user's input and moves to the current version."""

    def stale_response(self, form, stale, **context):
        form.data = form.data.copy()
        form.data["version"] = stale.current.version
        visible = privacy.may_see_contact_details(
            self.model.objects.all(), self.request.user, stale.current.pk
        )
        entries = history.present(
            stale.entries, self.model, mask=None if visible else privacy.mask_text
        )
        return self.render_to_response(
            self.get_context_data(form=form, stale_entries=entries, **context)
        )


def restrict_form_fields(form, user):
    """Limit every model-choice field of `form` whose model has `for_user()` to
    the rows `user` may see, so no form accepts a forged id of a hidden record."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_user"):
            field.queryset = queryset & queryset.model.objects.for_user(user, "view")
    return form


class WorkbenchView(TemplateView):
    """`/`: the panels each module registered, in order, for this user."""

    template_name = "crm/workbench.html"

    def get_context_data(self, **kwargs):
        panels = []
        for panel in registry.panels:
            data = panel.context(self.request)
            if data is not None:
                panels.append(
                    {"name": panel.name, "template": panel.template, "data": data}
                )
        return super().get_context_data(panels=panels, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        messages.info(request, _("You have logged out."))
        return super().post(request, *args, **kwargs)
