"""The view mixin restricts every related-object field and re-checks saves."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from crm.views import RestrictedViewMixin, restrict_form_fields
from customers.models import Contact, Customer


class LinkForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.all())
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.all(), required=False
    )


def test_related_fields_offer_only_records_the_user_may_see(
    users, rep1_customer, rep2_customer
):
    # Given a form linking to a customer and contacts, as rep1 fills it in
    form = restrict_form_fields(LinkForm(), users["rep1"])

    # Then neither field offers rep2's customer or its contacts
    assert list(form.fields["customer"].queryset) == [rep1_customer]
    assert set(form.fields["contacts"].queryset) == set(rep1_customer.contacts.all())


def test_a_forged_id_of_a_hidden_record_is_an_invalid_choice(
    users, rep1_customer, rep2_customer
):
    data = {"customer": rep2_customer.pk, "contacts": [rep2_customer.contacts.get().pk]}
    form = restrict_form_fields(LinkForm(data), users["rep1"])
    assert not form.is_valid()
    assert set(form.errors) == {"customer", "contacts"}


class SaveView(RestrictedViewMixin):
    model = Customer


def test_a_save_the_user_could_not_see_afterwards_is_rolled_back(users, make_customer):
    # Given a service call that (wrongly) leaves a customer rep1 may not see
    view = SaveView()
    view.request = RequestFactory().post("/")
    view.request.user = users["rep1"]

    # When the view saves it through save_restricted()
    with pytest.raises(PermissionDenied):
        view.save_restricted(lambda: make_customer(users["rep2"], name="越权客户"))

    # Then nothing was written
    assert not Customer.objects.filter(name="越权客户").exists()


def test_a_save_the_user_may_see_is_kept(users, make_customer):
    view = SaveView()
    view.request = RequestFactory().post("/")
    view.request.user = users["rep1"]
    customer = view.save_restricted(lambda: make_customer(users["rep1"]))
    assert Customer.objects.filter(pk=customer.pk).exists()
