"""Ticket forms: they validate, and the views hand the result to the services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm import customfields
from crm.forms import VersionedFormMixin
from crm.widgets import use_fast_selects
from customers.forms import UserChoiceField
from customers.models import Contact, Customer
from customers.selectors import assignable_users

from .models import Ticket, TicketComment


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.title}）" if obj.title else obj.name


class TicketForm(
    VersionedFormMixin, customfields.CustomFieldsFormMixin, forms.ModelForm
):
    """Edit a ticket's content; its contact is one of its customer's contacts.

    Status, assignee and resolution change through their own actions on the
    ticket's page (the transition table, the assign form), never here."""

    class Meta:
        model = Ticket
        fields = ["subject", "kind", "priority", "contact", "description"]
        field_classes = {"contact": ContactChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, customer: Customer | None, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = self.fields["contact"]
        # The ticket's customer is the boundary: a forged id of another
        # customer's contact is not a valid choice.
        contacts.queryset = (
            Contact.objects.filter(customer=customer).order_by("-is_primary", "id")
            if customer is not None
            else Contact.objects.none()
        )
        contacts.empty_label = _("(no contact)")
        self.fields["priority"].help_text = _(
            "The due time follows from the priority: urgent 4 hours, high 24 "
            "hours, medium 3 days, low 7 days after the ticket was opened."
        )
        use_fast_selects(self)

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["custom"] = self.cleaned_custom()
        return data


class TicketCreateForm(TicketForm):
    """A new ticket: the customer by its ID (prefilled from the customer's
    page), and optionally who works it."""

    customer = forms.CharField(
        label=_("Customer ID"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "C…"}),
    )
    assignee = UserChoiceField(
        label=_("Assignee"),
        queryset=assignable_users(),
        required=False,
        empty_label=_("(unassigned)"),
    )

    field_order = ["customer", "subject", "kind", "priority", "contact", "assignee"]

    def __init__(self, *args, user, customer: Customer | None, **kwargs):
        super().__init__(*args, customer=customer, **kwargs)
        self.user = user
        if customer is not None and not self.is_bound:
            self.initial["customer"] = customer.customer_no
        self.fields["customer"].help_text = _(
            "The customer's ID, e.g. C20240315001 (shown on the customer's page)."
        )
        self.fields["assignee"].queryset = assignable_users()
        use_fast_selects(self)

    def clean_customer(self):
        number = self.cleaned_data["customer"].strip().upper()
        customer = (
            Customer.objects.for_user(self.user, "view")
            .filter(customer_no=number)
            .first()
        )
        if customer is None:
            # Hidden and missing customers read the same.
            raise ValidationError(
                _("No customer with this ID that you can see."), code="unknown"
            )
        return customer

    def clean(self):
        data = super().clean()
        customer, contact = data.get("customer"), data.get("contact")
        if customer and contact and contact.customer_id != customer.pk:
            self.add_error("contact", _("Choose a contact of this ticket's customer."))
        return data


class AssignForm(forms.Form):
    assignee = UserChoiceField(
        label=_("Assignee"),
        queryset=assignable_users(),
        required=False,
        empty_label=_("(unassigned)"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "assign-%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()
        use_fast_selects(self)


NOT_RATED = "none"
SATISFACTION_CHOICES = [
    ("5", _("5 · very satisfied")),
    ("4", _("4 · satisfied")),
    ("3", _("3 · neutral")),
    ("2", _("2 · dissatisfied")),
    ("1", _("1 · very dissatisfied")),
    (NOT_RATED, _("The customer gave no score")),
]


class TransitionForm(forms.Form):
    """One step of the status flow; resolving and closing ask for more."""

    action = forms.CharField(widget=forms.HiddenInput, max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput)
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    satisfaction = forms.ChoiceField(
        label=_("Customer satisfaction"),
        required=False,
        choices=SATISFACTION_CHOICES,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "transition-%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "resolve" and not (data.get("resolution") or "").strip():
            self.add_error("resolution", _("Describe how the issue was resolved."))
        if action == "close" and not data.get("satisfaction"):
            self.add_error(
                "satisfaction",
                _("Ask the customer for a score, or choose that they gave none."),
            )
        return data

    def satisfaction_value(self) -> int | None:
        value = self.cleaned_data.get("satisfaction")
        return None if value in (None, "", NOT_RATED) else int(value)


class CommentForm(forms.ModelForm):
    class Meta:
        model = TicketComment
        fields = ["body"]
        widgets = {
            "body": forms.Textarea(
                attrs={"rows": 3, "placeholder": _("Add a note to the timeline")}
            )
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "comment-%s")
        super().__init__(*args, **kwargs)
