"""Duplicate customers: the warning on create, the duplicates page, the merge
page, and the old address of a merged customer.

Every queryset comes from `Customer.objects.for_user()`; merging needs the
role's `customers.merge_customer` and edit access to both customers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from crm import customfields, permissions
from crm.features import StaleEdit
from crm.views import RestrictedViewMixin

from . import duplicates, merging, views
from .forms import user_label
from .merge_forms import MergeForm
from .models import Customer, CustomerAlias

# The "save anyway" checkbox: its value lists the customers the user saw in
# the warning, so a second submit that now matches another customer warns again.
CONFIRM_FIELD = "duplicates_confirmed"
GROUPS_PER_PAGE = 20


class CustomerCreateView(views.CustomerCreateView):
    """The create page, warning of likely duplicates before the first save."""

    def form_valid(self, form):
        if duplicates.warning_enabled():
            contacts = self.get_formset("contacts", form.instance, self.request.POST)
            if contacts.is_valid():
                rows = contacts.contact_data()
                matches = duplicates.similar_customers(
                    name=form.cleaned_data.get("name", ""),
                    credit_code=form.cleaned_data.get("credit_code", ""),
                    phones=[c.phone for c in rows],
                    emails=[c.email for c in rows],
                )
                seen = set(" ".join(self.request.POST.getlist(CONFIRM_FIELD)).split())
                if matches and not {c.customer_no for c in matches} <= seen:
                    return self.render_to_response(
                        self.get_context_data(
                            form=form,
                            contacts=contacts,
                            duplicate_warning=duplicate_warning(matches),
                        )
                    )
        return super().form_valid(form)


def duplicate_warning(matches) -> dict:
    return {
        "field": CONFIRM_FIELD,
        "numbers": " ".join(c.customer_no for c in matches),
        "matches": [
            {"name": c.name, "number": c.customer_no, "owner": user_label(c.owner)}
            for c in matches
        ],
    }


class CustomerDetailView(views.CustomerDetailView):
    """A customer's page; the ID of a customer merged into another leads to
    that one (for users who may view it: anyone else gets the usual 404)."""

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            alias = (
                CustomerAlias.objects.filter(customer_no=kwargs["customer_no"])
                .select_related("customer")
                .first()
            )
            visible = Customer.objects.for_user(request.user, "view")
            if alias is None or not visible.filter(pk=alias.customer_id).exists():
                raise
            return HttpResponseRedirect(alias.customer.get_absolute_url())


class CustomerDuplicatesView(RestrictedViewMixin, TemplateView):
    """Groups of customers sharing a credit code, a normalised name, a contact
    phone or e-mail, among those the user may view; paged by group."""

    model = Customer
    model_permission = "merge"
    template_name = "customers/customer_duplicates.html"

    def get_context_data(self, **kwargs):
        customers = Customer.objects.for_user(self.request.user, "view")
        paginator = Paginator(duplicates.group_rows(customers), GROUPS_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        return super().get_context_data(
            groups=duplicates.groups_for_page(page.object_list, customers),
            page_obj=page,
            paginator=paginator,
            is_paginated=page.has_other_pages(),
            **kwargs,
        )


class CustomerMergeView(RestrictedViewMixin, FormView):
    """`?keep=<customer_no>&drop=<customer_no>`: both records side by side, a
    choice per differing field; the POST merges (`merging.merge_customers`)
    if neither record changed since the page was loaded."""

    model = Customer
    model_permission = "merge"
    form_class = MergeForm
    template_name = "customers/customer_merge.html"

    def dispatch(self, request, *args, **kwargs):
        if not permissions.has_model_perm(request.user, Customer, "merge"):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        if not (source.get("keep") or source.get("drop")):
            # Nothing chosen yet: the customers to choose from.
            return HttpResponseRedirect(reverse("customers:customer_duplicates"))
        self.keep = self.customer(source.get("keep"))
        self.drop = self.customer(source.get("drop"))
        if self.keep.pk == self.drop.pk:
            messages.error(request, _("Choose two different customers."))
            return HttpResponseRedirect(reverse("customers:customer_duplicates"))
        return super().dispatch(request, *args, **kwargs)

    def customer(self, number):
        """A customer the user may change: hidden or missing 404, visible but
        not changeable 403."""
        user = self.request.user
        customer = get_object_or_404(
            Customer.objects.for_user(user, "view")
            .select_related("owner", "success_manager", "industry", "region")
            .prefetch_related("tags", "contacts"),
            customer_no=number or "",
        )
        changeable = Customer.objects.for_user(user, "change")
        if not changeable.filter(pk=customer.pk).exists():
            raise PermissionDenied
        return customer

    def get_form(self, form_class=None):
        return self.get_form_class()(
            **self.get_form_kwargs(), keep=self.keep, drop=self.drop
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            keep=self.keep,
            drop=self.drop,
            counts=merge_counts(self.keep, self.drop),
            custom_values={
                "keep": customfields.detail_values(self.keep),
                "drop": customfields.detail_values(self.drop),
            },
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            kept = merging.merge_customers(
                actor=self.request.user,
                keep=self.keep,
                drop=self.drop,
                keep_version=data["keep_version"],
                drop_version=data["drop_version"],
                choices=form.choices(),
            )
        except StaleEdit:
            messages.error(
                self.request,
                _(
                    "One of these customers was changed while you were comparing "
                    "them, so nothing was merged. Here they are as they are now; "
                    "choose again."
                ),
            )
            query = f"?keep={self.keep.customer_no}&drop={self.drop.customer_no}"
            return HttpResponseRedirect(reverse("customers:customer_merge") + query)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(dropped)s was merged into %(kept)s.")
            % {"dropped": self.drop.customer_no, "kept": kept},
        )
        return HttpResponseRedirect(kept.get_absolute_url())


def merge_counts(keep: Customer, drop: Customer) -> list[dict]:
    """[{label, keep, drop}] of the rows a merge moves (contacts, follow-ups,
    tickets, opportunities…): one grouped query per related model."""
    pks = [keep.pk, drop.pk]
    rows = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_many or model in (
            *merging.SPECIAL_TABLES,
            CustomerAlias,
        ):
            continue
        name = relation.field.name
        found = dict(
            model._base_manager.filter(**{f"{name}__in": pks})
            .order_by()
            .values(name)
            .annotate(n=Count("pk"))
            .values_list(name, "n")
        )
        rows.append(
            {
                "label": model._meta.verbose_name_plural,
                "keep": found.get(keep.pk, 0),
                "drop": found.get(drop.pk, 0),
            }
        )
    return rows
