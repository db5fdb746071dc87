"""The follow-up form: logged in a few seconds, on a phone right after a visit.

The method is a row of big radio buttons, the time defaults to now, and the
next plan folds behind a "plan the next follow-up" switch (open without JS).
The form validates; the view hands `service_data()` to followups.services,
which checks the role rules (the follower, the plan's owner).
"""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import customfields, permissions
from crm.forms import VersionedFormMixin
from customers.forms import UserChoiceField
from customers.models import Customer
from opportunities.models import OPEN_STAGES, WON_STAGES, Opportunity

from .models import FollowUp

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# A follow-up happened; a few minutes of clock skew between phone and server
# are fine, a time in the future is a plan (the next follow-up) instead.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker, in the site's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


class OpportunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.get_stage_display()}"


def opportunity_choices(user, customer):
    """The customer's deals the user may view: open ones first (the ones a
    follow-up is usually about), then won, then lost; newest first within."""
    rank = Case(
        When(stage__in=OPEN_STAGES, then=Value(0)),
        When(stage__in=WON_STAGES, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Opportunity.objects.for_user(user, "view")
        .filter(customer=customer)
        .order_by(rank, "-created_at", "-id")
    )


def plan_owner_candidates():
    """Colleagues who may log follow-ups; the service checks the customer."""
    return permissions.users_with_model_perm(FollowUp, "add").order_by("username")


class FollowUpForm(
    VersionedFormMixin, customfields.CustomFieldsFormMixin, forms.ModelForm
):
    """Log or edit a follow-up. `customer` is the customer's number, a hidden
    field restricted (like every related field) to the customers the user
    may see, so a forged one is an error, never a follow-up on it."""

    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.all(),
        to_field_name="customer_no",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Open the customer first, then log the follow-up."),
            "invalid_choice": _("This customer does not exist or is not yours to see."),
        },
    )
    # The deal the follow-up was about (optional): one of this customer's
    # that the user sees. Absent when there is none to choose, or when the
    # deal it names is one the editor may not see (the link then stays).
    opportunity = OpportunityChoiceField(
        label=_("Opportunity"),
        queryset=Opportunity.objects.none(),
        to_field_name="opp_no",
        required=False,
        empty_label=_("None"),
        error_messages={
            "invalid_choice": _("Choose one of this customer's opportunities."),
        },
    )
    has_plan = forms.BooleanField(
        label=_("Plan the next follow-up"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-plan-toggle": ""}),
    )

    class Meta:
        model = FollowUp
        fields = [
            "occurred_at",
            "method",
            "user",
            "content",
            "feedback",
            "next_at",
            "next_owner",
            "next_goal",
        ]
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "next_at": DateTimeLocalInput(),
            "method": forms.RadioSelect(attrs={"class": "method-choices"}),
            "content": forms.Textarea(attrs={"rows": 4}),
            "feedback": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"user": UserChoiceField, "next_owner": UserChoiceField}
        error_messages = {
            "occurred_at": {"required": _("When did the follow-up happen?")},
            "method": {"required": _("Choose how you followed up.")},
            "content": {"required": _("Write what was discussed.")},
        }

    def __init__(self, *args, user, customer=None, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        creating = not self.instance.pk
        fields = self.fields
        fields["method"].choices = list(FollowUp.Method.choices)
        fields["occurred_at"].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        fields["next_at"].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        fields["next_at"].widget.attrs["data-plan-field"] = ""
        fields["next_owner"].queryset = plan_owner_candidates() | (
            get_user_model().objects.filter(pk=self.instance.next_owner_id)
        )
        fields["next_owner"].required = False
        if creating:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )
            self.initial.setdefault("method", FollowUp.Method.PHONE)
            self.initial.setdefault("next_owner", user.pk)
            if customer is not None:
                self.initial["customer"] = customer.customer_no
            if plan is not None:
                self.initial.setdefault("method", plan.method)
        else:
            del fields["customer"]
            self.initial["has_plan"] = self.instance.next_at is not None
        self._limit_opportunities(
            user, customer if creating else self.instance.customer
        )
        others = permissions.has_model_perm(user, FollowUp, "change")
        if others:
            fields["user"].queryset = plan_owner_candidates() | (
                get_user_model().objects.filter(pk=self.instance.user_id or user.pk)
            )
            # Left empty: the actor (new) or the follower as it is (edit).
            fields["user"].required = False
            self.initial.setdefault("user", user.pk)
        else:
            del fields["user"]

    def _limit_opportunities(self, user, customer):
        field = self.fields["opportunity"]
        if customer is None and self.is_bound:
            # Posted without ?customer=: the hidden field names it; a forged
            # one fails there, and its deals are all that can be chosen.
            customer = (
                Customer.objects.for_user(user, "view")
                .filter(customer_no=self.data.get("customer", ""))
                .first()
            )
        choices = opportunity_choices(user, customer)
        linked = self.instance.opportunity_id
        offered = customer is not None and choices.exists()
        if linked and offered:
            offered = choices.filter(pk=linked).exists()
        if not offered:
            del self.fields["opportunity"]
            return
        field.queryset = choices
        if linked:
            self.initial["opportunity"] = self.instance.opportunity.opp_no

    def clean(self):
        data = super().clean()
        occurred = data.get("occurred_at")
        if occurred and occurred > timezone.now() + FUTURE_TOLERANCE:
            self.add_error(
                "occurred_at",
                _("A follow-up cannot be in the future; plan it as the next one."),
            )
        deal, customer = data.get("opportunity"), data.get("customer")
        if deal and customer and deal.customer_id != customer.pk:
            self.add_error(
                "opportunity",
                self.fields["opportunity"].error_messages["invalid_choice"],
            )
        if not data.get("has_plan"):
            # The folded plan fields still post their values: no plan is no plan.
            data.update(next_at=None, next_owner=None, next_goal="")
            for name in ("next_at", "next_owner", "next_goal"):
                self.errors.pop(name, None)
        else:
            if not data.get("next_at") and "next_at" not in self.errors:
                self.add_error("next_at", _("Give the next follow-up a time."))
            if not data.get("next_owner") and "next_owner" not in self.errors:
                self.add_error("next_owner", _("Choose who does the next follow-up."))
            next_at = data.get("next_at")
            if next_at and occurred and next_at <= occurred:
                self.add_error(
                    "next_at",
                    _("The next follow-up must come after this one."),
                )
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        plan = bool(data.get("has_plan"))
        values = {
            "occurred_at": data["occurred_at"],
            "method": data["method"],
            "content": data["content"],
            "feedback": data.get("feedback", ""),
            "next_at": data.get("next_at") if plan else None,
            "next_owner": data.get("next_owner") if plan else None,
            "next_goal": data.get("next_goal", "") if plan else "",
            "custom": self.cleaned_custom(),
        }
        if data.get("user") is not None:
            values["user"] = data["user"]
        if "opportunity" in self.fields:
            values["opportunity"] = data.get("opportunity")
        return values
