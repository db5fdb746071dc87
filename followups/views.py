"""Follow-up pages; every queryset comes from FollowUp.objects.for_user().

The calendar feed is the one page without a login: its URL's token is the
credential, checked in `calendar.user_for_token`, and the feed lists only
what that user's own agenda would.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import (
    DeleteView,
    DetailView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
    View,
)
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView

from crm import customfields, history, permissions
from crm.list_views import ShapedListMixin
from crm.views import RestrictedViewMixin, StaleEditMixin, TrashActionView
from customers.models import Customer

from . import calendar, selectors, services
from .filters import FollowUpFilterSet
from .forms import FollowUpForm
from .lists import FOLLOWUP_LIST
from .models import CalendarToken, FollowUp


def safe_next(request, default: str) -> str:
    """The same-site path the request names in `next`, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=False
        )
    ):
        return target
    return default


def add_service_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError next to the fields it names (when the form
    shows them), else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class FollowUpListView(ShapedListMixin, RestrictedViewMixin, FilterView):
    model = FollowUp
    filterset_class = FollowUpFilterSet
    list_spec = FOLLOWUP_LIST
    template_name = "followups/followup_list.html"

    def get_queryset(self):
        user = self.request.user
        rows = super().get_queryset().select_related("customer", "user", "next_owner")
        return selectors.with_opportunity(rows, user).annotate_allowed(
            user, "change", "can_change"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            now=timezone.now(),
            can_export=permissions.has_model_perm(
                self.request.user, FollowUp, "export"
            ),
        )
        return ctx


class FollowUpDetailView(RestrictedViewMixin, DetailView):
    model = FollowUp
    slug_field = slug_url_kwarg = "record_no"
    template_name = "followups/followup_detail.html"

    def get_queryset(self):
        user = self.request.user
        rows = super().get_queryset().select_related("customer", "user", "next_owner")
        rows = selectors.with_opportunity(rows, user)
        for action in ("change", "delete"):
            rows = rows.annotate_allowed(user, action, f"can_{action}")
        return rows

    def get_context_data(self, **kwargs):
        followup = self.object
        user = self.request.user
        plan_open = followup.next_at is not None and not followup.next_done
        can_complete = plan_open and services.may_complete_plan(user, followup)
        return super().get_context_data(
            history_entries=history.present(
                history.entries_for(followup)[:50], FollowUp
            ),
            custom_values=customfields.detail_values(followup),
            can_change=followup.can_change,
            can_delete=followup.can_delete,
            can_complete=can_complete,
            plan_open=plan_open,
            now=timezone.now(),
            **kwargs,
        )


class FollowUpFormMixin(StaleEditMixin):
    model = FollowUp
    form_class = FollowUpForm
    template_name = "followups/followup_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def check_version(self, form):
        if self.object is not None:
            services.followup_check_version(
                followup=self.object,
                expected_version=form.cleaned_data["version"] or 0,
            )


class FollowUpCreateView(FollowUpFormMixin, RestrictedViewMixin, FormView):
    """`?customer=C…`: log a follow-up on that customer; `?plan=F…`: log the
    follow-up that plan planned, which marks the plan done."""

    model_permission = "add"
    object = None

    def dispatch(self, request, *args, **kwargs):
        if not permissions.has_model_perm(request.user, FollowUp, "add"):
            raise PermissionDenied
        self.plan = self.customer = None
        plan_no = request.GET.get("plan", "")
        customer_no = request.GET.get("customer", "")
        if plan_no:
            self.plan = get_object_or_404(
                FollowUp.objects.for_user(request.user, "view")
                .open_plans()
                .select_related("customer"),
                record_no=plan_no,
            )
            if not services.may_complete_plan(request.user, self.plan):
                raise PermissionDenied
            self.customer = self.plan.customer
        elif customer_no:
            self.customer = get_object_or_404(
                Customer.objects.for_user(request.user, "view"),
                customer_no=customer_no.strip().upper(),
            )
        elif request.method == "GET":
            messages.info(
                request, _("Open a customer, then log the follow-up from its page.")
            )
            return HttpResponseRedirect(reverse("customers:customer_list"))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "customer": self.customer,
            "plan": self.plan,
        }

    def get_initial(self):
        # `?opportunity=O…` (the deal page's "log a follow-up"): preselected
        # when it is one of the choices, which only list deals the user sees.
        deal = self.request.GET.get("opportunity", "").strip().upper()
        return {**super().get_initial(), "opportunity": deal}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            customer=self.customer,
            plan=self.plan,
            next_url=self.request.GET.get("next", ""),
            **kwargs,
        )

    def form_valid(self, form):
        customer = form.cleaned_data["customer"]
        if self.plan is not None and customer.pk != self.plan.customer_id:
            form.add_error("customer", _("The plan is for another customer."))
            return self.form_invalid(form)
        data = form.service_data()
        user = self.request.user
        try:
            if self.plan is not None:
                followup = self.save_restricted(
                    lambda: services.followup_log_from_plan(
                        actor=user, plan=self.plan, data=data
                    )
                )
            else:
                followup = self.save_restricted(
                    lambda: services.followup_create(
                        actor=user, customer=customer, data=data
                    )
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        if self.plan is not None:
            text = _("Follow-up %(name)s logged; the plan is done.")
        else:
            text = _("Follow-up %(name)s logged.")
        messages.success(self.request, text % {"name": followup})
        return HttpResponseRedirect(
            safe_next(self.request, customer.get_absolute_url())
        )


class FollowUpUpdateView(FollowUpFormMixin, RestrictedViewMixin, UpdateView):
    permission_action = "change"
    slug_field = slug_url_kwarg = "record_no"

    def get_queryset(self):
        return super().get_queryset().select_related("customer")

    @property
    def success_message(self):
        return _("Follow-up %(name)s saved.")

    def save_form(self, form, formsets):
        return self.save_restricted(
            lambda: services.followup_update(
                actor=self.request.user,
                followup=self.object,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"] or 0,
            )
        )


class FollowUpDeleteView(RestrictedViewMixin, DeleteView):
    model = FollowUp
    permission_action = "delete"
    slug_field = slug_url_kwarg = "record_no"
    template_name = "followups/followup_confirm_delete.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer")

    def form_valid(self, form):
        services.followup_delete(actor=self.request.user, followup=self.object)
        messages.success(
            self.request, _("%(name)s moved to the trash.") % {"name": self.object}
        )
        return HttpResponseRedirect(self.object.customer.get_absolute_url())


class FollowUpCompletePlanView(RestrictedViewMixin, SingleObjectMixin, View):
    """ "Done" on a plan without logging a follow-up (POST, then back)."""

    model = FollowUp
    slug_field = slug_url_kwarg = "record_no"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        followup = self.get_object()
        if not services.may_complete_plan(request.user, followup):
            raise PermissionDenied
        services.followup_complete_plan(actor=request.user, followup=followup)
        messages.success(request, _("Plan marked done."))
        return HttpResponseRedirect(safe_next(request, reverse("followups:agenda")))


class FollowUpTrashView(RestrictedViewMixin, ListView):
    model = FollowUp
    model_permission = "delete"
    template_name = "followups/followup_trash.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            FollowUp.objects.trash_for_user(self.request.user)
            .select_related("customer", "user", "deleted_by")
            .order_by("-deleted_at", "-id")
        )


class FollowUpRestoreView(TrashActionView):
    model = FollowUp
    slug_field = slug_url_kwarg = "record_no"
    success_url = reverse_lazy("followups:followup_trash")

    def act(self, followup):
        services.followup_restore(actor=self.request.user, followup=followup)
        messages.success(self.request, _("%(name)s restored.") % {"name": followup})


def feed_url(request, token: CalendarToken | None) -> str:
    if token is None:
        return ""
    return request.build_absolute_uri(token.get_absolute_url())


class AgendaView(TemplateView):
    """My open plans: overdue, due today, the next 7 days; and my feed."""

    template_name = "followups/agenda.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        token = CalendarToken.objects.filter(user=user).first()
        return super().get_context_data(
            agenda=selectors.agenda(user),
            feed_url=feed_url(self.request, token),
            can_add=permissions.has_model_perm(user, FollowUp, "add"),
            **kwargs,
        )


class CalendarTokenView(View):
    """Create or replace (`regenerate`) or delete (`revoke`) my feed's token.

    It writes only the requesting user's own row: there is no record of
    anyone else's to reach."""

    http_method_names = ["post"]

    def post(self, request):
        if request.POST.get("action") == "revoke":
            calendar.calendar_token_revoke(user=request.user)
            messages.success(request, _("The calendar link no longer works."))
        else:
            calendar.calendar_token_regenerate(user=request.user)
            messages.success(
                request,
                _("A new calendar link is ready; any older link stopped working."),
            )
        return HttpResponseRedirect(reverse("followups:agenda") + "#calendar-feed")


@method_decorator(login_not_required, name="dispatch")
class CalendarFeedView(View):
    """The iCalendar feed; the token in the URL is the credential."""

    http_method_names = ["get", "head"]

    def get(self, request, token):
        user = calendar.user_for_token(token)
        if user is None:
            response = HttpResponse(
                "Not found", status=404, content_type="text/plain; charset=utf-8"
            )
            # The request path holds the token: keep it out of the server log
            # Django writes for every 4xx (django.request).
            response._has_been_logged = True
            return response
        base = request.build_absolute_uri("/")
        response = HttpResponse(
            calendar.render_feed(user, base_url=base),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = 'inline; filename="followups.ics"'
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        return response
