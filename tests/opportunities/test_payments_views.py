"""Payments from the deal's page: recording them (errors next to the field,
the page re-rendered with the bound form), the collection rate, deleting one,
and what may not be reached (open deals, another deal's payment, view-only)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities import services
from opportunities.models import Payment, Stage
from tests.factories import client_for, make_opportunity


def add_url(opp) -> str:
    return reverse("opportunities:payment_add", args=[opp.opp_no])


def delete_url(opp, payment) -> str:
    return reverse("opportunities:payment_delete", args=[opp.opp_no, payment.pk])


def pay(**extra) -> dict:
    data = {
        "amount": "3万",
        "received_on": timezone.localdate().isoformat(),
        "method": Payment.Method.BANK,
        "note": "首付款",
    }
    data.update(extra)
    return data


@pytest.fixture
def won(users, rep1_customer):
    return make_opportunity(
        users["rep1"], rep1_customer, stage=Stage.WON, amount=Decimal("100000")
    )


def record(users, opp, amount: str):
    return services.payment_add(
        actor=users["rep1"],
        opportunity=opp,
        data={
            "amount": Decimal(amount),
            "received_on": timezone.localdate(),
            "method": "bank",
            "note": "",
        },
    )


def test_a_partial_payment_shows_the_collection_rate(client, users, won):
    c = client_for(client, users["rep1"])
    response = c.post(add_url(won), pay())
    assert response.status_code == 302
    assert response["Location"] == won.get_absolute_url() + "#payments"
    payment = Payment.objects.get()
    assert (payment.amount, payment.created_by) == (Decimal("30000"), users["rep1"])
    page = c.get(won.get_absolute_url())
    assert page.context["collection_rate"] == "30.0%"
    html = page.content.decode()
    assert 'id="collection-rate">30.0%<' in html
    assert 'id="payments-received">¥30,000.00<' in html
    assert 'id="payments-outstanding">¥70,000.00<' in html


def test_a_payment_over_the_amount_is_refused_next_to_the_field(client, users, won):
    record(users, won, "80000")
    c = client_for(client, users["rep1"])
    response = c.post(add_url(won), pay(amount="30000"))
    assert response.status_code == 200
    errors = response.context["payment_form"].errors["amount"]
    assert "¥20,000.00" in errors[0] and "¥80,000.00" in errors[0]
    html = response.content.decode()
    assert 'id="payment-amount_error"' in html
    # The page around it is the deal's page, with the typed values kept
    assert 'value="30000"' in html and response.context["opportunity"] == won
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-100"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"received_on": ""}, "received_on"),
        ({"method": "bitcoin"}, "method"),
    ],
)
def test_bad_payments_are_errors_next_to_the_field(client, users, won, extra, field):
    c = client_for(client, users["rep1"])
    response = c.post(add_url(won), pay(**extra))
    assert response.status_code == 200
    form = response.context["payment_form"]
    assert list(form.errors) == [field], form.errors
    assert not Payment.objects.exists()


def test_a_payment_in_the_future_is_refused(client, users, won):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    c = client_for(client, users["rep1"])
    response = c.post(add_url(won), pay(received_on=tomorrow.isoformat()))
    assert response.status_code == 200
    assert response.context["payment_form"].errors["received_on"]
    assert not Payment.objects.exists()


def test_a_payment_on_an_open_deal_is_refused(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer)
    c = client_for(client, users["rep1"])
    response = c.post(add_url(opp), pay(), follow=True)
    assert response.redirect_chain[-1][0] == opp.get_absolute_url()
    shown = [str(m) for m in response.context["messages"]]
    assert any("成交" in m for m in shown), shown
    assert not Payment.objects.exists()


def test_deleting_a_payment(client, users, won):
    payment = record(users, won, "30000")
    c = client_for(client, users["rep1"])
    html = c.get(won.get_absolute_url()).content.decode()
    assert f'action="{delete_url(won, payment)}"' in html
    assert c.get(delete_url(won, payment)).status_code == 405
    response = c.post(delete_url(won, payment))
    assert response.status_code == 302
    assert not Payment.objects.exists()
    assert c.get(won.get_absolute_url()).context["collection_rate"] == "0.0%"


def test_another_deals_payment_id_is_a_404(client, users, rep1_customer, won):
    other = make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    payment = record(users, other, "1000")
    c = client_for(client, users["rep1"])
    assert c.post(delete_url(won, payment)).status_code == 404
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_a_hidden_deals_payment_is_a_404(client, users, won):
    payment = record(users, won, "1000")
    c = client_for(client, users["rep2"])
    assert c.post(delete_url(won, payment)).status_code == 404
    assert c.post(add_url(won), pay()).status_code == 404
    assert Payment.objects.count() == 1


def test_view_only_users_may_not_record_or_delete(
    client, users, rep1_customer, make_customer
):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    opp = make_opportunity(users["rep1"], customer, stage=Stage.WON)
    payment = record(users, opp, "1000")
    c = client_for(client, users["success"])
    html = c.get(opp.get_absolute_url()).content.decode()
    assert 'id="payment-form"' not in html and "data-delete-payment" not in html
    assert c.post(add_url(opp), pay()).status_code == 403
    assert c.post(delete_url(opp, payment)).status_code == 403
    assert Payment.objects.count() == 1


def test_a_note_with_html_is_shown_as_text(client, users, won):
    c = client_for(client, users["rep1"])
    c.post(add_url(won), pay(note="<img src=x onerror=alert(1)>"))
    html = c.get(won.get_absolute_url()).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html


def test_payments_show_in_the_deals_history(client, users, won):
    c = client_for(client, users["rep1"])
    c.post(add_url(won), pay())
    entries = c.get(won.get_absolute_url()).context["history_entries"]
    added = entries[0].rows[0]
    assert added["related"] == "added"
    assert {"label": "回款金额", "old": "", "new": "30,000.00"} in added["parts"]
