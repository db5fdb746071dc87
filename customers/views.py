"""Customer pages; every queryset comes from Customer.objects.for_user()."""

from django.conf import settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse, reverse_lazy
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import (
    DeleteView,
    DetailView,
    FormView,
    ListView,
    UpdateView,
)
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView
from django_htmx.http import HttpResponseClientRedirect

from crm import customfields, history, permissions, privacy
from crm.list_views import ShapedListMixin
from crm.pagination import page_size
from crm.registry import registry
from crm.views import RestrictedViewMixin, StaleEditMixin, TrashActionView
from imports import exporting

from . import selectors, services
from .filters import CustomerFilterSet
from .forms import (
    BulkActionForm,
    ContactFormSet,
    CustomerForm,
    RenewalForm,
    ShareForm,
)
from .lists import CUSTOMER_LIST
from .models import Customer
from .resources import customer_export


class CustomerListView(ShapedListMixin, RestrictedViewMixin, FilterView):
    model = Customer
    filterset_class = CustomerFilterSet
    list_spec = CUSTOMER_LIST
    template_name = "customers/customer_list.html"

    def get_queryset(self):
        user = self.request.user
        rows = super().get_queryset().with_list_data()
        rows = rows.annotate_allowed(user, "change", "can_change")
        return privacy.annotate_contact_visibility(rows, user)

    def get_context_data(self, **kwargs):
        user = self.request.user
        ctx = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            carried_filters=[
                (name, self.request.GET[name])
                for name in ("section", "area")
                if self.request.GET.get(name)
            ],
            # The partial carries the export link out of band: the page's link
            # would otherwise still export the filters it was loaded with.
            export_link_oob=ctx["results_oob"],
            bulk=bulk_bar(
                self.request,
                total=ctx["paginator"].count,
                capped=ctx["paginator"].capped,
                more_pages=ctx["paginator"].num_pages > 1,
                query=query.urlencode(),
            ),
            can_add=permissions.has_model_perm(user, Customer, "add"),
            can_export=permissions.has_model_perm(user, Customer, "export"),
        )
        return ctx


class CustomerDetailView(RestrictedViewMixin, DetailView):
    """The 360° page: info, contacts, tags, sharing and history."""

    model = Customer
    slug_field = slug_url_kwarg = "customer_no"
    template_name = "customers/customer_detail.html"

    def get_queryset(self):
        user = self.request.user
        rows = (
            super()
            .get_queryset()
            .select_related(
                "owner", "success_manager", "industry", "region", "created_by"
            )
            .prefetch_related("tags", "contacts")
        )
        for action in ("change", "delete", "renew"):
            rows = rows.annotate_allowed(user, action, f"can_{action}")
        return privacy.annotate_contact_visibility(rows, user)

    def get_context_data(self, **kwargs):
        customer = self.object
        entries = history.present(
            history.entries_for(customer)[:50],
            Customer,
            mask=None if customer.contacts_visible else privacy.mask_text,
        )
        can_change = customer.can_change
        return super().get_context_data(
            contacts=customer.contacts.all(),
            custom_values=customfields.detail_values(customer),
            history_entries=entries,
            can_change=can_change,
            can_delete=customer.can_delete,
            can_renew=customer.can_renew and not can_change,
            can_share=can_change,
            shares=selectors.shares(customer) if can_change else [],
            share_form=ShareForm(customer=customer) if can_change else None,
            # Follow-ups, tickets, opportunities: the cards other modules add.
            sections=registry.sections_for(self.request, customer),
            **kwargs,
        )


class CustomerFormMixin(StaleEditMixin):
    """Customer form + contacts formset, saved through the services."""

    model = Customer
    form_class = CustomerForm
    template_name = "customers/customer_form.html"
    formset_names = ("contacts",)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["can_reassign"] = permissions.has_model_perm(
            self.request.user, Customer, "reassign"
        )
        return kwargs

    def get_formset(self, name, instance, data=None):
        return ContactFormSet(data, instance=instance, prefix="contacts")

    def get_context_data(self, **kwargs):
        if "contacts" not in kwargs:
            kwargs["contacts"] = self.get_formset(
                "contacts", self.object or Customer(), self.request.POST or None
            )
        return super().get_context_data(**kwargs)

    def save_form(self, form, formsets):
        return self.save_restricted(lambda: self.save(form, formsets["contacts"]))

    def check_version(self, form):
        if self.object is not None:
            services.customer_check_version(
                customer=self.object,
                expected_version=form.cleaned_data["version"] or 0,
            )


class CustomerCreateView(CustomerFormMixin, RestrictedViewMixin, FormView):
    model_permission = "add"
    object = None

    @property
    def success_message(self):
        return _("Customer %(name)s created.")

    def save(self, form, contacts):
        return services.customer_create(
            actor=self.request.user,
            data=form.service_data(),
            tags=form.cleaned_data["tags"],
            contacts=contacts.contact_data(),
        )


class CustomerUpdateView(CustomerFormMixin, RestrictedViewMixin, UpdateView):
    permission_action = "change"
    slug_field = slug_url_kwarg = "customer_no"

    @property
    def success_message(self):
        return _("Customer %(name)s saved.")

    def save(self, form, contacts):
        return services.customer_update(
            actor=self.request.user,
            customer=self.object,
            data=form.service_data(),
            expected_version=form.cleaned_data["version"] or 0,
            tags=form.cleaned_data["tags"],
            contacts=contacts.contact_data(),
        )


class CustomerRenewalView(StaleEditMixin, RestrictedViewMixin, UpdateView):
    """Customer success managers edit the renewal date of their customers."""

    model = Customer
    form_class = RenewalForm
    permission_action = "renew"
    slug_field = slug_url_kwarg = "customer_no"
    template_name = "customers/customer_renewal_form.html"

    @property
    def success_message(self):
        return _("Renewal date saved.")

    def save_form(self, form, formsets):
        return services.customer_update_renewal(
            actor=self.request.user,
            customer=self.object,
            renewal_date=form.cleaned_data["renewal_date"],
            expected_version=form.cleaned_data["version"] or 0,
        )


class CustomerDeleteView(RestrictedViewMixin, DeleteView):
    model = Customer
    permission_action = "delete"
    slug_field = slug_url_kwarg = "customer_no"
    template_name = "customers/customer_confirm_delete.html"
    success_url = reverse_lazy("customers:customer_list")

    def form_valid(self, form):
        services.customer_delete(actor=self.request.user, customer=self.object)
        messages.success(
            self.request, _("%(name)s moved to the trash.") % {"name": self.object}
        )
        return HttpResponseRedirect(self.success_url)


class CustomerShareView(RestrictedViewMixin, SingleObjectMixin, FormView):
    """Grant (or, with `remove`, take back) a colleague's access to a customer."""

    model = Customer
    permission_action = "change"
    slug_field = slug_url_kwarg = "customer_no"
    form_class = ShareForm
    template_name = "customers/customer_share_form.html"
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        # Before the form: the page opened directly names the customer.
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "customer": self.object}

    def form_valid(self, form):
        user, level = form.cleaned_data["user"], form.cleaned_data["level"]
        try:
            if self.request.POST.get("remove"):
                services.customer_unshare(
                    actor=self.request.user, customer=self.object, user=user
                )
                messages.success(self.request, _("Access removed."))
            else:
                services.customer_share(
                    actor=self.request.user,
                    customer=self.object,
                    user=user,
                    level=level,
                )
                messages.success(self.request, _("Customer shared."))
        except ValidationError as exc:
            form.add_error("user", exc)
            return self.form_invalid(form)
        return HttpResponseRedirect(self.object.get_absolute_url())


# A plain (no-JS) bulk post that fails goes back to the list with what it
# posted and its errors kept here for the next list page, so nothing ticked or
# chosen is lost; the bar's script posts through htmx and gets the bar back.
BULK_SESSION_KEY = "customers.bulk_bar"


def bulk_bar(request, *, total: int, capped: bool, more_pages: bool, query: str):
    """What the list's bulk bar shows, or None for roles with no bulk action.

    `total` is the list's (capped) count: the bar offers "select all N
    matching" when the list runs past this page and is not capped. The count
    is only shown; the bulk view counts again what the user may change."""
    actions = selectors.bulk_actions(request.user)
    if not actions:
        return None
    stored = request.session.pop(BULK_SESSION_KEY, None)
    form = BulkActionForm(
        data=MultiValueDict(stored["data"]) if stored else None,
        customers=Customer.objects.for_user(request.user, "change"),
        actions=actions,
    )
    if stored:
        form.is_valid()
        for name, texts in stored["errors"].items():
            for text in texts:
                if text not in form.errors.get(name, []):
                    form.add_error(None if name == NON_FIELD_ERRORS else name, text)
    selected = stored["data"].get("selected", []) if stored else []
    all_matching = bool(stored and form["all_matching"].value())
    return {
        "form": form,
        "actions": actions,
        "total": total,
        "offer_matching": more_pages and not capped,
        "all_matching": all_matching,
        "selected": set(selected),
        "count": total if all_matching else len(set(selected)),
        "query": query,
    }


class CustomerBulkView(RestrictedViewMixin, FormView):
    """Bulk reassign / tag the ticked customers, or every customer matching the
    list's filters, of those the user may change.

    "All matching" re-runs the list's filter set over the customers the user
    may change (never the client's ids or count), up to the list's count cap.
    A ticked customer the user may not change voids the whole request (the
    form refuses it). The bar's script posts through htmx and gets the bar
    back with its errors, so the ticked rows stay ticked; a plain post goes
    back to the list, which shows the bar as it was posted."""

    model = Customer
    form_class = BulkActionForm
    http_method_names = ["post"]
    template_name = "customers/includes/bulkbar.html#controls"

    def get_form_kwargs(self):
        actions = selectors.bulk_actions(self.request.user)
        if not actions:
            raise PermissionDenied
        return {
            **super().get_form_kwargs(),
            "customers": Customer.objects.for_user(self.request.user, "change"),
            "actions": actions,
        }

    def form_valid(self, form):
        data, user = form.cleaned_data, self.request.user
        cap = settings.CRM_LIST_COUNT_CAP
        skipped = 0
        if data["all_matching"]:
            chosen = self.matching(data["query"], "change")
            if chosen is None:
                form.add_error(
                    "all_matching",
                    _("The list's filters are not valid; correct them and try again."),
                )
                return self.form_invalid(form)
            total = selectors.capped_count(chosen, cap)
            if total > cap:
                form.add_error(
                    "all_matching",
                    _(
                        "More than %(cap)s customers match. Narrow the list with "
                        "search or filters, then apply the action again."
                    )
                    % {"cap": intcomma(cap)},
                )
                return self.form_invalid(form)
            if not permissions.has_model_perm(user, Customer, "change"):
                visible = selectors.capped_count(self.matching(data["query"]), cap)
                skipped = max(visible - total, 0)
        else:
            chosen = data["selected"]
            total = len(chosen)
        try:
            if data["action"] == "reassign":
                changed = services.customers_reassign(
                    actor=user, customers=chosen, owner=data["owner"]
                )
            else:
                changed = services.customers_tag(
                    actor=user,
                    customers=chosen,
                    tag=data["tag"],
                    add=data["action"] == "add_tag",
                )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        for level, text in bulk_summary(changed, total - changed, skipped):
            messages.add_message(self.request, level, text)
        if self.request.htmx:
            return HttpResponseClientRedirect(self.get_success_url())
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        if self.request.htmx:
            return self.render_to_response(self.get_context_data(form=form))
        post = self.request.POST
        self.request.session[BULK_SESSION_KEY] = {
            "data": {name: post.getlist(name) for name in form.fields if name in post},
            "errors": {name: list(texts) for name, texts in form.errors.items()},
        }
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        form = kwargs["form"]
        query = form.data.get("query", "")
        cap = settings.CRM_LIST_COUNT_CAP
        visible = self.matching(query)
        total = 0 if visible is None else selectors.capped_count(visible, cap)
        per_page = page_size(QueryDict(query).get("per_page"))
        data = form.data
        selected = set(data.getlist("selected"))
        all_matching = bool(form["all_matching"].value())
        bulk = {
            "form": form,
            "actions": selectors.bulk_actions(self.request.user),
            "total": total,
            "offer_matching": per_page < total <= cap,
            "all_matching": all_matching,
            "selected": selected,
            "count": total if all_matching else len(selected),
            "query": query,
        }
        return super().get_context_data(bulk=bulk, **kwargs)

    def matching(self, query: str, action: str = "view"):
        """The customers the list's filters (`query`) match, among those the
        user may `action`; None when the filters are not valid."""
        filterset = CustomerFilterSet(
            QueryDict(query),
            queryset=Customer.objects.for_user(self.request.user, action),
            request=self.request,
        )
        return filterset.qs if filterset.is_valid() else None

    def get_success_url(self):
        back = self.request.POST.get("next", "")
        if back.startswith("/customers/"):
            return back
        return reverse("customers:customer_list")


def bulk_summary(changed: int, unchanged: int, skipped: int) -> list[tuple]:
    """The messages after a bulk action: what changed, and why the rest did not."""
    summary = [
        (
            messages.SUCCESS,
            ngettext("%(n)s customer updated.", "%(n)s customers updated.", changed)
            % {"n": changed},
        )
    ]
    if unchanged:
        summary.append(
            (
                messages.INFO,
                ngettext(
                    "%(n)s customer needed no change.",
                    "%(n)s customers needed no change.",
                    unchanged,
                )
                % {"n": unchanged},
            )
        )
    if skipped:
        summary.append(
            (
                messages.INFO,
                ngettext(
                    "%(n)s matching customer you may only view was left alone.",
                    "%(n)s matching customers you may only view were left alone.",
                    skipped,
                )
                % {"n": skipped},
            )
        )
    return summary


class CustomerTrashView(RestrictedViewMixin, ListView):
    model = Customer
    model_permission = "delete"
    template_name = "customers/customer_trash.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            Customer.objects.trash_for_user(self.request.user)
            .select_related("owner", "deleted_by")
            .order_by("-deleted_at", "-id")
        )


class TrashedCustomerActionView(TrashActionView):
    model = Customer
    slug_field = slug_url_kwarg = "customer_no"
    success_url = reverse_lazy("customers:customer_trash")


class CustomerRestoreView(TrashedCustomerActionView):
    def act(self, customer):
        services.customer_restore(actor=self.request.user, customer=customer)
        messages.success(self.request, _("%(name)s restored.") % {"name": customer})


class CustomerPurgeView(TrashedCustomerActionView):
    def act(self, customer):
        services.customer_purge(actor=self.request.user, customer=customer)
        messages.success(
            self.request, _("%(name)s deleted permanently.") % {"name": customer}
        )


class CustomerExportView(exporting.ExportView):
    """'Export this view' as .xlsx or CSV, streamed (imports/exporting.py);
    contact details masked for a reader who may not see them."""

    model = Customer
    filterset_class = CustomerFilterSet
    list_url_name = "customers:customer_list"

    def get_export(self, filterset):
        return exporting.build(customer_export, filterset.custom_fields)

    def get_rows(self, filterset):
        return privacy.annotate_contact_visibility(filterset.qs, self.request.user)
