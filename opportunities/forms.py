"""Opportunity forms: they validate, and the views hand the result to the
services, which check the role rules (who may own a deal, the stage flow,
payments within the amount)."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import customfields, permissions
from crm.fields import AmountField, DateField
from crm.forms import VersionedFormMixin
from crm.widgets import use_fast_selects
from customers.forms import UserChoiceField
from customers.models import Customer

from . import services
from .models import DEFAULT_PROBABILITY, OPEN_STAGES, Opportunity, Payment


def _default_probabilities() -> str:
    return "、".join(f"{s.label} {DEFAULT_PROBABILITY[s]}%" for s in OPEN_STAGES)


class CustomerNumberField(forms.ModelChoiceField):
    """A customer by its ID (C20240315001), typed in any case; the view
    restricts the choices to the customers the user may see, so a hidden
    customer reads exactly like a missing one."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().upper()
        return super().to_python(value)


class OpportunityForm(
    VersionedFormMixin, customfields.CustomFieldsFormMixin, forms.ModelForm
):
    """Edit a deal's fields. The stage moves through its own actions on the
    deal's page; the owner is a field only for roles that may reassign."""

    probability = forms.IntegerField(
        label=_("win probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "amount",
            "expected_close_date",
            "probability",
            "competitor",
            "competitor_focus",
            "owner",
        ]
        field_classes = {
            "amount": AmountField,
            "expected_close_date": DateField,
            "owner": UserChoiceField,
        }
        error_messages = {
            "name": {"required": _("Give the deal a name.")},
            "amount": {"required": _("Enter the expected amount (0 if unknown).")},
        }

    def __init__(self, *args, user, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        customer = customer or (self.instance.customer if self.instance.pk else None)
        self.fields["probability"].help_text = _(
            "Leave empty for the stage's default: %(defaults)s."
        ) % {"defaults": _default_probabilities()}
        if services.may_reassign(user):
            owner = self.fields["owner"]
            current = self.instance.owner_id if self.instance.pk else user.pk
            users = get_user_model().objects
            if customer is not None:
                candidates = [u.pk for u in services.possible_owners(customer)]
                owner.queryset = users.filter(pk__in=[*candidates, current])
            else:
                # The customer is typed in: every sales colleague is offered,
                # and the service refuses one who cannot see that customer.
                owner.queryset = permissions.users_with_model_perm(
                    Opportunity, "add"
                ) | users.filter(pk=current)
            owner.queryset = owner.queryset.order_by("username")
            self.initial.setdefault("owner", current)
        else:
            # Reps own what they create; a posted owner is never read.
            del self.fields["owner"]
        use_fast_selects(self)

    def service_data(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name in self.fields
        }
        data["custom"] = self.cleaned_custom()
        return data


class OpportunityCreateForm(OpportunityForm):
    """A new deal: on a customer (prefilled from the customer's page) and in
    one of the open stages."""

    customer = CustomerNumberField(
        label=_("Customer ID"),
        queryset=Customer.objects.all(),
        to_field_name="customer_no",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "C…"}),
        error_messages={
            "required": _("Enter the customer's ID."),
            "invalid_choice": _("No customer with this ID that you can see."),
        },
    )
    stage = forms.ChoiceField(
        label=_("sales stage"),
        choices=[(s.value, s.label) for s in OPEN_STAGES],
        initial=OPEN_STAGES[0].value,
    )

    field_order = ["customer", "name", "stage", "amount"]

    def __init__(self, *args, user, customer: Customer | None = None, **kwargs):
        super().__init__(*args, user=user, customer=customer, **kwargs)
        if customer is not None:
            self.initial["customer"] = customer.customer_no
            self.fields["customer"].widget = forms.HiddenInput()
        else:
            self.fields["customer"].help_text = _(
                "The customer's ID, e.g. C20240315001 (shown on the customer's page)."
            )


class LoseForm(forms.Form):
    """Mark a deal lost: the reason is required."""

    lost_reason = forms.CharField(
        label=_("reason lost"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the deal was lost.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "lose-%s")
        super().__init__(*args, **kwargs)


class PaymentForm(forms.ModelForm):
    """A payment received on a won deal; the service refuses one that takes
    the total over the amount."""

    class Meta:
        model = Payment
        fields = ["amount", "received_on", "method", "note"]
        field_classes = {"amount": AmountField, "received_on": DateField}
        error_messages = {
            "amount": {"required": _("Enter the amount received.")},
            "received_on": {"required": _("When was it received?")},
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "payment-%s")
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["received_on"].widget.attrs["max"] = today.isoformat()
        if not self.is_bound:
            self.initial.setdefault("received_on", today)
        # One message in the user's words instead of the validator's.
        self.fields["amount"].validators = []
        use_fast_selects(self)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise ValidationError(
                _("The amount received must be more than 0."), code="min_value"
            )
        return amount

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day and day > timezone.localdate():
            raise ValidationError(
                _("A payment cannot be received in the future."), code="future"
            )
        return day

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
