"""What rep2 may not reach of rep1's deals, however it is asked: by ID, by the
list's search and filters, by the board's column pages, by a forged customer
in the create form, by a payment posted to the deal, by a forged deal in the
follow-up form. Hidden is a 404 (or simply absent), exactly like missing."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from opportunities import services
from opportunities.models import Opportunity, Payment
from tests.factories import client_for, make_customer, make_opportunity

SECRET = "绝密机会甲"


@pytest.fixture
def deal(users, rep1_customer):
    """rep1's won deal (so payments could go on it) on rep1's customer."""
    return make_opportunity(
        users["rep1"],
        rep1_customer,
        name=SECRET,
        stage="won",
        expected_close_date=timezone.localdate() + datetime.timedelta(days=10),
    )


@pytest.fixture
def rep2(client, users):
    return client_for(client, users["rep2"])


@pytest.mark.parametrize(
    "name", ["opportunity_detail", "opportunity_update", "opportunity_delete"]
)
def test_another_reps_deal_is_a_404_by_id(rep2, deal, name):
    url = reverse(f"opportunities:{name}", args=[deal.opp_no])
    assert rep2.get(url).status_code == 404
    missing = reverse(f"opportunities:{name}", args=["O19990101001"])
    assert rep2.get(missing).status_code == 404


def test_writes_on_another_reps_deal_are_404_and_change_nothing(rep2, deal):
    posts = {
        "opportunity_update": {"name": "改掉", "amount": "1", "version": 1},
        "opportunity_delete": {},
        "opportunity_lose": {"lost_reason": "x", "version": deal.version},
        "opportunity_move": {"stage": "analysis", "version": deal.version},
    }
    for name, data in posts.items():
        url = reverse(f"opportunities:{name}", args=[deal.opp_no])
        assert rep2.post(url, data).status_code == 404, name
    stored = Opportunity.objects.get(pk=deal.pk)
    assert (stored.name, stored.stage, stored.version, stored.deleted_at) == (
        SECRET,
        "won",
        deal.version,
        None,
    )


@pytest.mark.parametrize(
    "params",
    [
        lambda d: {"q": d.opp_no},
        lambda d: {"q": d.opp_no.lower()},
        lambda d: {"q": SECRET},
        lambda d: {"q": d.customer.name},
        lambda d: {"customer": d.customer.customer_no},
        lambda d: {"owner": d.owner_id},
        lambda d: {"stage": "won"},
        lambda d: {"amount_min": "1", "competitor": ""},
    ],
)
def test_the_list_search_and_filters_never_return_the_deal(client, users, deal, params):
    query = params(deal)
    for role, expected in (("rep2", False), ("rep1", True), ("manager", True)):
        c = client_for(client, users[role])
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = c.get(
                reverse("opportunities:opportunity_list"), query, **headers
            )
            assert response.status_code == 200
            # The deal's link, not its name: the search box echoes the query
            found = deal.get_absolute_url() in response.content.decode()
            assert found is expected, (role, query, headers)


@pytest.mark.parametrize("stage", ["won", "lead"])
def test_the_board_and_its_column_pages_never_show_the_deal(client, users, deal, stage):
    c = client_for(client, users["rep2"])
    for query in ({}, {"q": deal.opp_no}, {"customer": deal.customer.customer_no}):
        board = c.get(reverse("opportunities:opportunity_board"), query)
        html = board.content.decode()
        assert board.status_code == 200
        assert SECRET not in html and deal.get_absolute_url() not in html
        url = reverse("opportunities:board_column", args=[stage])
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            # From the top, and from a cursor just before the deal
            for extra in ({}, {"after": "-_0"}, {"after": "2000-01-01_0"}):
                page = c.get(url, {**query, **extra}, **headers)
                assert page.status_code == 200
                html = page.content.decode()
                assert SECRET not in html and deal.get_absolute_url() not in html
    # rep1 does see it in its column (the check above can fail)
    rep1 = client_for(client, users["rep1"])
    column = rep1.get(reverse("opportunities:board_column", args=["won"]))
    assert SECRET in column.content.decode()


def test_a_forged_customer_in_the_create_form_is_refused(client, users, rep1_customer):
    c = client_for(client, users["rep2"])
    url = reverse("opportunities:opportunity_create")
    data = {
        "customer": rep1_customer.customer_no,
        "name": "伪造客户的机会",
        "stage": "lead",
        "amount": "10000",
    }
    response = c.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    # …or opened on rep1's customer: a 404, like a customer that is not there
    assert c.get(url, {"customer": rep1_customer.customer_no}).status_code == 404
    forged = f"{url}?customer={rep1_customer.customer_no}"
    assert c.post(forged, data).status_code == 404
    assert not Opportunity.objects.filter(name="伪造客户的机会").exists()


def test_a_payment_posted_to_another_reps_deal_is_a_404(rep2, users, deal):
    url = reverse("opportunities:payment_add", args=[deal.opp_no])
    data = {
        "amount": "100",
        "received_on": timezone.localdate().isoformat(),
        "method": "bank",
        "note": "伪造回款",
    }
    assert rep2.post(url, data).status_code == 404
    assert not Payment.objects.exists()


def test_a_payment_cannot_be_deleted_through_another_deal(client, users, deal):
    # rep2's own won deal, and rep1's payment: the URL pairs rep2's deal with
    # rep1's payment id, and rep1's deal is hidden.
    payment = services.payment_add(
        actor=users["rep1"],
        opportunity=deal,
        data={
            "amount": Decimal("50"),
            "received_on": timezone.localdate(),
            "method": "bank",
            "note": "",
        },
    )
    own = make_opportunity(users["rep2"], make_customer(users["rep2"]), stage="won")
    c = client_for(client, users["rep2"])
    for opp_no in (own.opp_no, deal.opp_no):
        url = reverse("opportunities:payment_delete", args=[opp_no, payment.pk])
        assert c.post(url).status_code == 404
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_a_forged_deal_in_the_follow_up_form_is_refused(
    client, users, deal, rep2_customer
):
    # rep2 logs on its own customer (which has a deal, so the form has the
    # field) and forges rep1's deal
    make_opportunity(users["rep2"], rep2_customer)
    c = client_for(client, users["rep2"])
    url = (
        reverse("followups:followup_create") + f"?customer={rep2_customer.customer_no}"
    )
    response = c.post(
        url,
        {
            "customer": rep2_customer.customer_no,
            "method": "phone",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "content": "伪造机会",
            "opportunity": deal.opp_no,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["opportunity"]
    assert SECRET not in response.content.decode()
    assert not FollowUp.objects.exists()
