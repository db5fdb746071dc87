"""Customer forms: they validate, and the views hand the result to services."""

from functools import cache
from itertools import groupby

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import customfields
from crm.fields import AmountField, DateField, EmailField, NormalizedCharField
from crm.forms import VersionedFormMixin
from crm.widgets import DateInput, use_fast_selects

from . import selectors
from .models import Contact, Customer, Industry, Region, Tag
from .services import ContactData
from .validators import normalize_credit_code, normalize_phone


class PhoneField(forms.CharField):
    """Normalised (the model's rule) before the length check, so a number
    typed with spaces, brackets, +86 or an extension shows as it is stored."""

    def to_python(self, value):
        return normalize_phone(super().to_python(value))

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "maxlength": "40",
            "inputmode": "tel",
            "autocomplete": "off",
        }


class CreditCodeField(forms.CharField):
    """Normalised (the model's rule) before the length check, so a code pasted
    with spaces or in lower case is accepted."""

    def to_python(self, value):
        return normalize_credit_code(super().to_python(value))

    def widget_attrs(self, widget):
        # Room to paste a code with spaces; the length is checked once normalised.
        return {**super().widget_attrs(widget), "maxlength": "30"}


def user_label(user) -> str:
    full = user.get_full_name()
    return f"{full}（{user.username}）" if full else user.username


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


@cache
def industry_groups() -> tuple:
    """GB/T 4754 divisions grouped by section; reference data, read once."""
    rows = Industry.objects.order_by("section", "code")
    return tuple(
        (f"{section} {name}", tuple((i.code, f"{i.code} {i.name}") for i in group))
        for (section, name), group in groupby(
            rows, key=lambda i: (i.section, i.section_name)
        )
    )


@cache
def region_groups() -> tuple:
    """GB/T 2260 provinces grouped by area; reference data, read once."""
    rows = sorted(Region.objects.all(), key=lambda r: (r.area, r.code))
    return tuple(
        (area, tuple((r.code, r.name) for r in group))
        for area, group in groupby(rows, key=lambda r: r.area)
    )


def industry_choices(blank=True):
    return [("", BLANK_CHOICE_LABEL)] * blank + list(industry_groups())


def region_choices(blank=True):
    return [("", BLANK_CHOICE_LABEL)] * blank + list(region_groups())


class CustomerForm(
    VersionedFormMixin, customfields.CustomFieldsFormMixin, forms.ModelForm
):
    """Create/edit a customer; an edit carries the version and the values it
    started from (`VersionedFormMixin`), so a stale save merges."""

    class Meta:
        model = Customer
        # What the history tracks is what the form edits, plus the tags.
        fields = [*Customer.tracked_fields, "tags"]
        widgets = {
            "first_cooperation_date": DateInput(),
            "renewal_date": DateInput(),
            "tags": forms.CheckboxSelectMultiple,
        }
        field_classes = {
            "credit_code": CreditCodeField,
            "city": NormalizedCharField,
            "address": NormalizedCharField,
            "first_cooperation_date": DateField,
            "historical_amount": AmountField,
            "renewal_date": DateField,
            "owner": UserChoiceField,
            "success_manager": UserChoiceField,
        }

    def __init__(self, *args, user, can_reassign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = industry_choices()
        # The date picker greys out the future (the model refuses it anyway).
        self.fields["first_cooperation_date"].widget.attrs["max"] = (
            timezone.localdate().isoformat()
        )
        self.fields["region"].choices = region_choices()
        self.fields["tags"].queryset = Tag.objects.all()
        # The role rules of the services, offered as the choices; the current
        # holder stays choosable so an old record can still be saved.
        current = get_user_model().objects.filter(
            pk__in=[self.instance.owner_id, self.instance.success_manager_id]
        )
        self.fields["owner"].queryset = selectors.owner_candidates() | current
        self.fields["success_manager"].queryset = (
            selectors.success_manager_candidates() | current
        )
        if not can_reassign:
            # Only roles that may reassign choose an owner; others own what they create.
            self.fields["owner"].queryset = get_user_model().objects.filter(
                pk=(self.instance.owner_id if self.instance.pk else user.pk)
            )
            self.fields["owner"].disabled = True
        if not self.instance.pk:
            self.initial.setdefault("owner", user.pk)
        use_fast_selects(self)

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"]
        # Checked here too so the message sits next to the field; the database
        # constraint (which also covers trashed customers) stays the backstop.
        # The other customer is not named: the user may not be allowed to see it.
        taken = Customer.objects.filter(credit_code=code).exclude(pk=self.instance.pk)
        if code and taken.exists():
            raise ValidationError(
                _("Another customer already has this unified social credit code."),
                code="unique",
            )
        return code

    def service_data(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name != "tags" and name in self.cleaned_data
        }
        data["custom"] = self.cleaned_custom()
        return data


class ContactForm(forms.ModelForm):
    """One contact row. An extra row left empty is ignored (the formset's
    `empty_permitted`); its name is required once anything in it is filled."""

    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "is_primary", "note"]
        field_classes = {"phone": PhoneField, "email": EmailField}
        widgets = {"is_primary": forms.CheckboxInput(attrs={"data-primary": ""})}

    def validate_constraints(self):
        # One primary per customer is a rule across the rows being saved (the
        # formset's clean): checked against the stored rows it would refuse
        # moving the primary to another contact in one save.
        exclude = {*self._get_validation_exclusions(), "is_primary"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as exc:
            self._update_errors(exc)

    @property
    def optional_row(self) -> bool:
        """A new row nobody has typed in yet: nothing in it is required."""
        return self.empty_permitted and not (self.is_bound and self.has_changed())


class BaseContactFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        # The service deletes the contacts a save leaves out, so a list that
        # does not name every stored contact (a forged form count, a truncated
        # post) must not be saved; deleting is only ever an explicit tick.
        if self.instance.pk:
            stored = set(self.instance.contacts.values_list("pk", flat=True))
            named = {f.instance.pk for f in self.forms if f.instance.pk}
            if stored - named:
                raise ValidationError(
                    _(
                        "The list of contacts was incomplete, so nothing was "
                        "saved. Reload the page and try again."
                    ),
                    code="incomplete",
                )
        primaries = [
            f
            for f in self.forms
            if f.cleaned_data
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("is_primary")
        ]
        if len(primaries) > 1:
            raise ValidationError(_("Mark only one contact as the primary contact."))

    def contact_data(self) -> list[ContactData]:
        return [
            ContactData(
                **{k: f.cleaned_data[k] for k in ContactForm.Meta.fields},
                id=f.instance.pk,
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


MAX_CONTACTS = 50

ContactFormSet = forms.inlineformset_factory(
    Customer,
    Contact,
    form=ContactForm,
    formset=BaseContactFormSet,
    extra=1,
    can_delete=True,
    # A forged form count must not make the server build millions of forms.
    max_num=MAX_CONTACTS,
    absolute_max=MAX_CONTACTS,
    validate_max=True,
)


class RenewalForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["renewal_date"]
        widgets = {"renewal_date": DateInput()}
        field_classes = {"renewal_date": DateField}


class ShareForm(forms.Form):
    LEVELS = [("view", _("View")), ("change", _("View and edit"))]

    user = UserChoiceField(label=_("Colleague"), queryset=selectors.assignable_users())
    level = forms.ChoiceField(label=_("Access"), choices=LEVELS, initial="view")

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.assignable_users().exclude(
            pk=customer.owner_id
        )
        use_fast_selects(self)


class BulkActionForm(forms.Form):
    """What the list's bulk bar posts: an action, the one input it needs, and
    either the ticked customers or "every customer matching the list's
    filters" (`all_matching`, with the list's query string in `query`; the
    view re-runs the filters itself). `customers` are those the user may
    change, `actions` those the user's role offers (`selectors.bulk_actions`)."""

    ACTIONS = [
        ("reassign", _("Reassign owner")),
        ("add_tag", _("Add tag")),
        ("remove_tag", _("Remove tag")),
    ]
    # Which input each action needs (the bar shows only that one).
    INPUTS = {"reassign": "owner", "add_tag": "tag", "remove_tag": "tag"}

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    selected = forms.ModelMultipleChoiceField(
        queryset=Customer.objects.none(),
        to_field_name="customer_no",
        required=False,
        error_messages={
            # One of the ticked customers is no longer the user's to change
            # (reassigned or deleted meanwhile), or the id was made up; the
            # request is refused as a whole rather than half applied.
            "invalid_choice": _(
                "Some of the selected customers can no longer be changed by you, "
                "so nothing was changed. Reload the list and select again."
            ),
        },
    )
    all_matching = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=4000)
    owner = UserChoiceField(
        label=_("New owner"),
        queryset=selectors.owner_candidates(),
        required=False,
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.all(), required=False
    )

    def __init__(self, *args, customers, actions, **kwargs):
        # Ids of their own: the bar sits in a page with the list's filter form.
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        self.fields["selected"].queryset = customers
        self.fields["action"].choices = [
            choice for choice in self.ACTIONS if choice[0] in actions
        ]
        if "reassign" not in actions:
            del self.fields["owner"]
        use_fast_selects(self)

    def clean(self):
        data = super().clean()
        needed = self.INPUTS.get(data.get("action"))
        if needed == "owner" and not data.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        if needed == "tag" and not data.get("tag"):
            self.add_error("tag", _("Choose a tag."))
        if (
            not data.get("all_matching")
            and not data.get("selected")
            and "selected" not in self.errors
        ):
            self.add_error("selected", _("Select at least one customer."))
        return data
