"""The opportunity's page, create/edit, lose, payments and the trash.

Every queryset comes from `Opportunity.objects.for_user()`: a hidden deal is
a 404 like a missing one, a visible deal the user may not work a 403 on the
actions. Stage moves post to the board's move view (`opportunity_move`) with
`next` back here; losing a deal and payments have their own views below,
which re-render the page with the bound form when the input needs
correcting (like the ticket page's actions).
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import (
    DeleteView,
    DetailView,
    FormView,
    ListView,
    UpdateView,
)

from crm import customfields, history, permissions
from crm.features import StaleEdit
from crm.templatetags.crm_tags import money
from crm.views import (
    RecordActionView,
    RestrictedViewMixin,
    StaleEditMixin,
    TrashActionView,
)
from customers.models import Customer
from followups.models import FollowUp
from followups.views import add_service_errors, safe_next

from . import services
from .forms import LoseForm, OpportunityCreateForm, OpportunityForm, PaymentForm
from .models import OPEN_STAGES, Opportunity, Stage

# Follow-ups of the deal its page lists (newest first).
FOLLOWUPS_SHOWN = 20
HISTORY_SHOWN = 50


def detail_queryset(user):
    """The deal with what its page shows, and the user's flags, in one query."""
    customers = Customer.objects.for_user(user, "view").filter(
        pk=OuterRef("customer_id")
    )
    rows = (
        Opportunity.objects.for_user(user, "view")
        .select_related("customer", "owner", "created_by")
        .annotate(customer_visible=Exists(customers))
    )
    for action in ("change", "delete"):
        rows = rows.annotate_allowed(user, action, f"can_{action}")
    return rows


def stage_history(opportunity: Opportunity, now) -> list[dict]:
    """The stage changes, oldest first, each with the days its stage lasted:
    until the next change, the current one until now (one query)."""
    changes = list(opportunity.stage_changes.select_related("changed_by"))
    rows = []
    for i, change in enumerate(changes):
        following = changes[i + 1] if i + 1 < len(changes) else None
        end = following.changed_at if following else now
        rows.append(
            {
                "change": change,
                "days": max((end - change.changed_at).days, 0),
                "current": following is None,
            }
        )
    return rows


def collection_rate(received: Decimal, amount: Decimal) -> str:
    """Received ÷ amount as a percentage with one decimal; "—" without an
    amount (DESIGN §7)."""
    if not amount:
        return "—"
    rate = (received * 100 / amount).quantize(Decimal("0.1"))
    return f"{rate}%"


def stage_actions(opportunity: Opportunity) -> dict:
    """The moves the page offers for the deal's stage (the move view and the
    service check them again)."""
    stage = opportunity.stage
    actions = {"win": None, "moves": [], "next": "", "revert": None, "reopen": None}
    if opportunity.is_open:
        actions["win"] = Stage.WON
        actions["moves"] = [(s.value, s.label) for s in OPEN_STAGES if s != stage]
        # The select starts at the stage after this one (back is a choice too).
        later = OPEN_STAGES[OPEN_STAGES.index(stage) + 1 :]
        actions["next"] = later[0].value if later else ""
    elif opportunity.is_won:
        other = Stage.AFTER_SALES if stage == Stage.WON else Stage.WON
        actions["moves"] = [(other.value, other.label)]
        actions["revert"] = Stage.NEGOTIATION
    elif opportunity.is_lost:
        actions["reopen"] = opportunity.lost_stage
    return actions


def detail_context(request, opportunity: Opportunity, **forms) -> dict:
    """What the deal's page shows; the action views re-render it with their
    bound form when the input needs correcting."""
    user = request.user
    now = timezone.now()
    version = {"version": opportunity.version}
    received = services.received_total(opportunity)
    entries = history.entries_for(opportunity)[:HISTORY_SHOWN]
    followups = (
        FollowUp.objects.for_user(user, "view")
        .filter(opportunity=opportunity)
        .select_related("user")
        .order_by("-occurred_at", "-id")[:FOLLOWUPS_SHOWN]
    )
    can_change = opportunity.can_change
    return {
        "opportunity": opportunity,
        "object": opportunity,
        "can_change": can_change,
        "can_delete": opportunity.can_delete and not opportunity.is_won,
        "actions": stage_actions(opportunity) if can_change else None,
        "stage_history": stage_history(opportunity, now),
        "payments": list(opportunity.payments.select_related("created_by")),
        "received": received,
        "outstanding": max(opportunity.amount - received, Decimal("0.00")),
        "collection_rate": collection_rate(received, opportunity.amount),
        "payment_form": forms.get("payment_form")
        or (PaymentForm() if can_change and opportunity.is_won else None),
        "lose_form": forms.get("lose_form")
        or (LoseForm(initial=version) if can_change and opportunity.is_open else None),
        "followups": list(followups),
        "can_log_followup": opportunity.customer_visible
        and permissions.has_model_perm(user, FollowUp, "add"),
        "custom_values": customfields.detail_values(opportunity),
        "history_entries": history.present(entries, Opportunity),
        "detail_url": opportunity.get_absolute_url(),
    }


class OpportunityDetailView(RestrictedViewMixin, DetailView):
    model = Opportunity
    slug_field = slug_url_kwarg = "opp_no"
    template_name = "opportunities/opportunity_detail.html"

    def get_queryset(self):
        return detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **detail_context(self.request, self.object),
        }


class OpportunityActionView(RecordActionView):
    """A POST on a deal from its page."""

    model = Opportunity
    slug_field = slug_url_kwarg = "opp_no"
    # The payment's own id is not the deal's.
    pk_url_kwarg = "opportunity_pk"
    template_name = "opportunities/opportunity_detail.html"
    stale_message = gettext_lazy(
        "Someone changed this deal while you were looking at it, so "
        "nothing was saved. This is the deal as it is now; try again."
    )

    def get_queryset(self):
        return detail_queryset(self.request.user)

    def page_context(self, **forms) -> dict:
        return detail_context(self.request, self.object, **forms)


class OpportunityLoseView(OpportunityActionView):
    """Mark an open deal lost, with the reason (required)."""

    def act(self, opportunity):
        form = LoseForm(self.request.POST)
        if not form.is_valid():
            if "version" in form.errors:
                return self.stale()
            return self.again(lose_form=form)
        try:
            services.opportunity_lose(
                actor=self.request.user,
                opportunity=opportunity,
                reason=form.cleaned_data["lost_reason"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleEdit:
            return self.stale()
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
                return self.again(lose_form=form)
            return self.refused(exc)
        messages.success(
            self.request, _("%(name)s is marked as lost.") % {"name": opportunity}
        )
        return self.back()


class PaymentAddView(OpportunityActionView):
    """Record a payment on a won deal; over the amount, in the future or not
    more than 0 is an error next to the field."""

    def act(self, opportunity):
        form = PaymentForm(self.request.POST)
        if not opportunity.is_won:
            return self.refused(
                ValidationError(_("Payments are recorded on won deals only."))
            )
        if not form.is_valid():
            return self.again(payment_form=form)
        try:
            payment = services.payment_add(
                actor=self.request.user,
                opportunity=opportunity,
                data=form.service_data(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.again(payment_form=form)
        messages.success(
            self.request,
            _("Payment of %(amount)s recorded.") % {"amount": money(payment.amount)},
        )
        return self.back("#payments")


class PaymentDeleteView(OpportunityActionView):
    """Delete a payment recorded by mistake; only one of this deal's."""

    def act(self, opportunity):
        payment = get_object_or_404(opportunity.payments, pk=self.kwargs["pk"])
        services.payment_delete(actor=self.request.user, payment=payment)
        messages.success(
            self.request,
            _("Payment of %(amount)s deleted.") % {"amount": money(payment.amount)},
        )
        return self.back("#payments")


class OpportunityFormMixin(StaleEditMixin):
    model = Opportunity
    template_name = "opportunities/opportunity_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}


class OpportunityCreateView(OpportunityFormMixin, RestrictedViewMixin, FormView):
    """`/opportunities/new/?customer=<customer_no>`: opened from the customer's
    page; without one, the customer's ID is typed in."""

    model_permission = "add"
    form_class = OpportunityCreateForm
    object = None

    @cached_property
    def customer(self):
        number = self.request.GET.get("customer", "").strip().upper()
        if not number:
            return None
        found = Customer.objects.for_user(self.request.user, "view").filter(
            customer_no=number
        )
        customer = found.first()
        if customer is None:
            raise Http404
        return customer

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "customer": self.customer}

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.customer, **kwargs)

    def form_valid(self, form):
        customer = form.cleaned_data["customer"]
        try:
            opportunity = self.save_restricted(
                lambda: services.opportunity_create(
                    actor=self.request.user,
                    customer=customer,
                    data=form.service_data(),
                    stage=form.cleaned_data["stage"],
                )
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Opportunity %(name)s created.") % {"name": opportunity}
        )
        return HttpResponseRedirect(opportunity.get_absolute_url())


class OpportunityUpdateView(OpportunityFormMixin, RestrictedViewMixin, UpdateView):
    permission_action = "change"
    form_class = OpportunityForm
    slug_field = slug_url_kwarg = "opp_no"

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "owner")

    @property
    def success_message(self):
        return _("Opportunity %(name)s saved.")

    def save_form(self, form, formsets):
        return self.save_restricted(
            lambda: services.opportunity_update(
                actor=self.request.user,
                opportunity=self.object,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"] or 0,
            )
        )


class OpportunityDeleteView(RestrictedViewMixin, DeleteView):
    """To the trash; a won deal is refused with the service's reason."""

    model = Opportunity
    permission_action = "delete"
    slug_field = slug_url_kwarg = "opp_no"
    template_name = "opportunities/opportunity_confirm_delete.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer")

    def form_valid(self, form):
        opportunity = self.object
        try:
            services.opportunity_delete(
                actor=self.request.user, opportunity=opportunity
            )
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(self.request, text)
            return HttpResponseRedirect(opportunity.get_absolute_url())
        messages.success(
            self.request, _("%(name)s moved to the trash.") % {"name": opportunity}
        )
        customers = Customer.objects.for_user(self.request.user, "view")
        if customers.filter(pk=opportunity.customer_id).exists():
            default = opportunity.customer.get_absolute_url()
        else:
            default = reverse("opportunities:opportunity_list")
        return HttpResponseRedirect(safe_next(self.request, default))


class OpportunityTrashView(RestrictedViewMixin, ListView):
    model = Opportunity
    model_permission = "delete"
    template_name = "opportunities/opportunity_trash.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            Opportunity.objects.trash_for_user(self.request.user)
            .select_related("customer", "owner", "deleted_by")
            .order_by("-deleted_at", "-id")
        )


class OpportunityRestoreView(TrashActionView):
    model = Opportunity
    slug_field = slug_url_kwarg = "opp_no"
    success_url = reverse_lazy("opportunities:opportunity_trash")

    def act(self, opportunity):
        services.opportunity_restore(actor=self.request.user, opportunity=opportunity)
        messages.success(self.request, _("%(name)s restored.") % {"name": opportunity})
