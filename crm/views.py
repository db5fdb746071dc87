"""Shared view machinery: the one permission mixin, the workbench, login."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from . import history, permissions
from .models import SecurityEvent


class RestrictedViewMixin:
    """Rows come from `Model.objects.for_user()`; hidden = 404, forbidden = 403.

    `permission_action` is what the view does to its object ("view", "change",
    "delete", …); objects are first looked up among those the user may view, so
    a record the user may not see is a 404 exactly like a missing one.
    `model_permission` names an action the user's role must grant on every row
    of the model (create, export, the trash); without it the view is a 403.
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


class WorkbenchView(TemplateView):
    """`/`: the user's agenda; each module adds its part."""

    template_name = "crm/workbench.html"

    def get_context_data(self, **kwargs):
        from customers.models import Customer

        user = self.request.user
        visible = Customer.objects.for_user(user, "view")
        mine = visible.filter(owner=user)
        today = timezone.localdate()
        window = today + timezone.timedelta(days=settings.CRM_RENEWAL_WINDOW_DAYS)
        counts = dict(mine.values_list("status").annotate(n=Count("id")).order_by())
        return super().get_context_data(
            recent=mine.select_related("region", "industry").order_by(
                "-updated_at", "-id"
            )[:8],
            renewals=visible.filter(
                Q(owner=user) | Q(success_manager=user),
                renewal_date__range=(today, window),
            )
            .select_related("owner")
            .order_by("renewal_date", "id")[:10],
            status_counts=[
                (value, label, counts.get(value, 0))
                for value, label in Customer.Status.choices
            ],
            # Capped like the list: an exact count of a million rows is not worth it.
            visible_count=visible.order_by()
            .values("pk")[: settings.CRM_LIST_COUNT_CAP + 1]
            .count(),
            count_cap=settings.CRM_LIST_COUNT_CAP,
            renewal_window=settings.CRM_RENEWAL_WINDOW_DAYS,
            **kwargs,
        )


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses further attempts after too many failures for a name or address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed log-ins. Try again in %(minutes)s minutes."),
    }

    def _keys(self):
        username = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return [f"login-fail:u:{username}", f"login-fail:a:{address}"]

    def clean(self):
        limit = settings.LOGIN_FAILURE_LIMIT
        if any((cache.get(k) or 0) >= limit for k in self._keys()):
            history.audit(
                None,
                SecurityEvent.Kind.LOGIN_BLOCKED,
                self.data.get("username", "")[:150],
                address=self.request.META.get("REMOTE_ADDR", ""),
            )
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW // 60},
            )
        try:
            return super().clean()
        except ValidationError:
            for key in self._keys():
                cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW)
                cache.incr(key)
            raise


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        messages.info(request, _("You have logged out."))
        return super().post(request, *args, **kwargs)
