"""Customer pages; every queryset comes from Customer.objects.for_user()."""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import (
    DeleteView,
    DetailView,
    FormView,
    ListView,
    UpdateView,
    View,
)
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView

from crm import customfields, history, permissions, privacy
from crm.models import SecurityEvent
from crm.pagination import CappedPaginator, page_size
from crm.views import RestrictedViewMixin, StaleEditMixin

from . import selectors, services
from .filters import CustomerFilterSet
from .forms import (
    BulkActionForm,
    ContactFormSet,
    CustomerForm,
    RenewalForm,
    ShareForm,
)
from .models import Customer
from .resources import CustomerResource


class CustomerListView(RestrictedViewMixin, FilterView):
    model = Customer
    filterset_class = CustomerFilterSet
    paginator_class = CappedPaginator
    template_name = "customers/customer_list.html"

    def get_queryset(self):
        user = self.request.user
        rows = super().get_queryset().with_list_data()
        rows = rows.annotate_allowed(user, "change", "can_change")
        return privacy.annotate_contact_visibility(rows, user)

    def get_paginate_by(self, queryset):
        return page_size(self.request.GET.get("per_page"))

    def is_results_request(self) -> bool:
        """An htmx request from the filter bar: it gets the results partial."""
        return bool(self.request.htmx and not self.request.htmx.boosted)

    def get_template_names(self):
        if self.is_results_request():
            return [f"{self.template_name}#results"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user = self.request.user
        ctx = super().get_context_data(**kwargs)
        columns = self.filterset.list_columns
        for customer in ctx["object_list"]:
            customer.custom_cells = customfields.list_cells(customer, columns)
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            custom_columns=columns,
            query_string=query.urlencode(),
            # The partial carries the export link out of band: the page's link
            # would otherwise still export the filters it was loaded with.
            export_link_oob=self.is_results_request(),
            current_ordering=self.request.GET.get("ordering", ""),
            page_sizes=settings.CRM_PAGE_SIZES,
            per_page=self.get_paginate_by(None),
            bulk_form=BulkActionForm(customers=Customer.objects.none()),
            can_add=permissions.has_model_perm(user, Customer, "add"),
            can_reassign=permissions.has_model_perm(user, Customer, "reassign"),
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

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        self.object = self.get_object()
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


class CustomerBulkView(RestrictedViewMixin, FormView):
    """Bulk reassign / tag on the selected customers the user may change."""

    model = Customer
    form_class = BulkActionForm
    permission_action = "change"
    http_method_names = ["post"]

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "customers": Customer.objects.for_user(self.request.user, "change"),
        }

    def form_valid(self, form):
        data, user = form.cleaned_data, self.request.user
        chosen = Customer.objects.for_user(user, "change").filter(
            pk__in=[c.pk for c in data["selected"]]
        )
        try:
            if data["action"] == "reassign":
                n = services.customers_reassign(
                    actor=user, customers=chosen, owner=data["owner"]
                )
            else:
                n = services.customers_tag(
                    actor=user,
                    customers=chosen,
                    tag=data["tag"],
                    add=data["action"] == "add_tag",
                )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            ngettext("%(n)s customer updated.", "%(n)s customers updated.", n)
            % {"n": n},
        )
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, error)
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        back = self.request.POST.get("next", "")
        if back.startswith("/customers/"):
            return back
        return reverse("customers:customer_list")


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


class TrashedCustomerActionView(RestrictedViewMixin, SingleObjectMixin, View):
    """POST-only action on a customer in the trash (restore or purge)."""

    model = Customer
    model_permission = "delete"
    slug_field = slug_url_kwarg = "customer_no"
    http_method_names = ["post"]
    success_url = reverse_lazy("customers:customer_trash")

    def get_queryset(self):
        return Customer.objects.trash_for_user(self.request.user)

    def post(self, request, *args, **kwargs):
        self.act(self.get_object())
        return HttpResponseRedirect(self.success_url)


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


class Echo:
    def write(self, value):
        return value


def neutralise(value) -> str:
    """Stop spreadsheet apps from running a cell as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class CustomerExportView(RestrictedViewMixin, FilterView):
    """'Export this view' as CSV (UTF-8 with BOM, opens in Excel), streamed."""

    model = Customer
    filterset_class = CustomerFilterSet
    model_permission = "export"
    invalid_template_name = "customers/customer_export_invalid.html"

    def get(self, request, *args, **kwargs):
        filterset = self.get_filterset(self.get_filterset_class())
        if filterset.is_bound and not filterset.is_valid():
            fields = filterset.form.fields
            errors = [
                (fields[name].label if name in fields else "", texts)
                for name, texts in filterset.errors.items()
            ]
            return TemplateResponse(
                request, self.invalid_template_name, {"errors": errors}, status=400
            )
        rows = filterset.qs.with_list_data()
        total = rows.count()
        history.audit(
            request.user,
            SecurityEvent.Kind.EXPORT,
            "customers",
            rows=total,
            query=request.GET.urlencode(),
        )
        writer = csv.writer(Echo())
        resource = CustomerResource(custom_fields=filterset.custom_fields)
        rows = privacy.annotate_contact_visibility(rows, request.user)

        def lines():
            # Admins name custom fields, so headers are as untrusted as any cell.
            header = resource.get_export_headers()
            yield "\ufeff" + writer.writerow(neutralise(h) for h in header)
            for row in resource.rows(rows):
                yield writer.writerow(neutralise(v) for v in row)

        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(
            lines(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="customers-{stamp}.csv"'
        )
        return response
