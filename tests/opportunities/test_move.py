"""The stage move endpoint (`opportunities:opportunity_move`): every move is
`services.opportunity_move` with the card's version. The board (htmx) gets
the card and the column headers back with a `boardMove` event; a plain post
(the deal page's form, the board without JS) is redirected back with a
message."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from opportunities import services
from opportunities.models import Opportunity, Stage, StageChange
from tests.factories import client_for, make_customer, make_opportunity

HTMX = {"HTTP_HX_REQUEST": "true"}


def move_url(deal, query: str = "") -> str:
    url = reverse("opportunities:opportunity_move", args=[deal.opp_no])
    return f"{url}?{query}" if query else url


def post(client, deal, stage, version=None, htmx=False, query="", **extra):
    data = {
        "stage": stage,
        "version": deal.version if version is None else version,
        **extra,
    }
    return client.post(move_url(deal, query), data, **(HTMX if htmx else {}))


def event(response) -> dict:
    return json.loads(response["HX-Trigger"])["boardMove"]


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def customer(users):
    return make_customer(users["rep1"], success_manager=users["success"])


@pytest.fixture
def deal(users, customer):
    return make_opportunity(
        users["rep1"],
        customer,
        stage=Stage.NEGOTIATION,
        name="华东区 CRM 升级",
        amount=Decimal("250000.50"),
    )


def test_winning_by_a_move_grows_the_customers_historical_amount(
    client, users, customer, deal
):
    # Given a customer with no cooperation yet
    assert customer.historical_amount == Decimal("0.00")
    # When rep1 moves the deal into 成交 (plain post, as without JS)
    response = post(client_for(client, users["rep1"]), deal, Stage.WON)
    # Then the deal is won, the customer gained its amount, history has the move
    assert response.status_code == 302
    assert response["Location"] == deal.get_absolute_url()
    deal.refresh_from_db()
    assert deal.stage == Stage.WON and deal.won_at is not None
    assert deal.probability == 100
    customer.refresh_from_db()
    assert customer.historical_amount == Decimal("250000.50")
    assert customer.status == Customer.Status.ACTIVE
    assert customer.first_cooperation_date == timezone.localdate()
    last = StageChange.objects.filter(opportunity=deal).last()
    assert (last.from_stage, last.to_stage, last.changed_by) == (
        Stage.NEGOTIATION,
        Stage.WON,
        users["rep1"],
    )
    assert any("华东区 CRM 升级" in m for m in flash(response))


def test_reverting_a_win_with_payments_is_refused_with_the_reason(
    client, users, customer, deal
):
    deal = services.opportunity_move(
        actor=users["rep1"], opportunity=deal, stage=Stage.WON, expected_version=1
    )
    services.payment_add(
        actor=users["rep1"],
        opportunity=deal,
        data={"amount": Decimal("1000.00"), "received_on": timezone.localdate()},
    )
    c = client_for(client, users["rep1"])
    # The board: refused, the reason in the event, the card as it is
    response = post(c, deal, Stage.NEGOTIATION, htmx=True)
    assert response.status_code == 422
    info = event(response)
    assert info["ok"] is False
    assert (
        "Payments have been recorded" in info["message"] or "回款" in (info["message"])
    )
    assert f'id="card-{deal.opp_no}"' in response.content.decode()
    assert 'data-stage="won"' in response.content.decode()
    # Without JS: back to the deal with the reason
    response = post(c, deal, Stage.NEGOTIATION)
    assert response.status_code == 302
    assert flash(response) == [info["message"]]
    deal.refresh_from_db()
    assert deal.stage == Stage.WON
    customer.refresh_from_db()
    assert customer.historical_amount == Decimal("250000.50")
    assert StageChange.objects.filter(opportunity=deal).count() == 2


def test_reverting_a_win_without_payments_undoes_it(client, users, customer, deal):
    deal = services.opportunity_move(
        actor=users["rep1"], opportunity=deal, stage=Stage.WON, expected_version=1
    )
    response = post(client_for(client, users["rep1"]), deal, Stage.NEGOTIATION)
    assert response.status_code == 302
    deal.refresh_from_db()
    customer.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION and deal.won_at is None
    assert customer.historical_amount == Decimal("0.00")
    assert customer.first_cooperation_date is None


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_lost_is_not_a_target(client, users, deal, htmx):
    response = post(client_for(client, users["rep1"]), deal, Stage.LOST, htmx=htmx)
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION and deal.version == 1
    if htmx:
        assert response.status_code == 422
        assert event(response)["ok"] is False
    else:
        assert response.status_code == 302
        assert len(flash(response)) == 1


@pytest.mark.parametrize("stage", ["bogus", "", "LEAD", "lead' OR 1=1"])
def test_a_forged_stage_is_refused(client, users, deal, stage):
    response = post(client_for(client, users["rep1"]), deal, stage, htmx=True)
    assert response.status_code == 422
    assert event(response)["ok"] is False
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION and deal.version == 1


@pytest.mark.parametrize("version", ["", "abc", "1.5", "-"])
def test_a_forged_version_is_refused(client, users, deal, version):
    c = client_for(client, users["rep1"])
    response = post(c, deal, Stage.PROPOSAL, version=version, htmx=True)
    assert response.status_code == 422
    response = post(c, deal, Stage.PROPOSAL, version=version)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION


def test_a_stale_version_is_refused(client, users, deal):
    # Someone moved the deal after rep1's board was drawn
    services.opportunity_move(
        actor=users["manager"],
        opportunity=deal,
        stage=Stage.PROPOSAL,
        expected_version=1,
    )
    c = client_for(client, users["rep1"])
    response = post(c, deal, Stage.WON, version=1, htmx=True)
    assert response.status_code == 409
    assert event(response)["ok"] is False
    # The card comes back as it is now, so the board shows the truth
    body = response.content.decode()
    assert 'data-stage="proposal"' in body and 'data-version="2"' in body
    response = post(c, deal, Stage.WON, version=1)
    assert response.status_code == 302
    assert len(flash(response)) == 1
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (Stage.PROPOSAL, 2)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_view_only_deal_is_403(client, users, deal, htmx):
    # The success manager sees the deals of their customer, read-only
    response = post(client_for(client, users["success"]), deal, Stage.WON, htmx=htmx)
    assert response.status_code == 403
    if htmx:
        assert event(response)["ok"] is False
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION


@pytest.mark.parametrize("role", ["rep2", "service"])
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_hidden_deal_is_404_like_a_missing_one(client, users, deal, role, htmx):
    c = client_for(client, users[role])
    hidden = post(c, deal, Stage.WON, htmx=htmx)
    missing = c.post(
        reverse("opportunities:opportunity_move", args=["O20000101999"]),
        {"stage": "won", "version": 1},
        **(HTMX if htmx else {}),
    )
    assert hidden.status_code == missing.status_code == 404
    if htmx:
        assert hidden.content == missing.content
        assert hidden["HX-Trigger"] == missing["HX-Trigger"]
    deal.refresh_from_db()
    assert deal.stage == Stage.NEGOTIATION


def test_get_is_not_allowed(client, users, deal):
    c = client_for(client, users["rep1"])
    assert c.get(move_url(deal)).status_code == 405


def test_the_board_gets_the_new_card_and_the_headers(client, users, customer, deal):
    other = make_opportunity(
        users["rep1"], customer, stage=Stage.PROPOSAL, amount=Decimal("10.25")
    )
    response = post(client_for(client, users["rep1"]), deal, Stage.PROPOSAL, htmx=True)
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    info = event(response)
    assert info["ok"] is True and "华东区 CRM 升级" in info["message"]
    body = response.content.decode()
    assert f'id="card-{deal.opp_no}"' in body
    assert 'data-stage="proposal"' in body and 'data-version="2"' in body
    assert f'id="card-{other.opp_no}"' not in body
    # Every column's header, out of band, counting what the board shows now
    for stage in ("lead", "analysis", "proposal", "negotiation", "won", "after_sales"):
        assert f'id="board-head-{stage}" hx-swap-oob="true"' in body
    proposal = body.split('id="board-head-proposal"')[1].split("</header>")[0]
    assert 'data-count="2"' in proposal and "¥250,010.75" in proposal
    negotiation = body.split('id="board-head-negotiation"')[1].split("</header>")[0]
    assert 'data-count="0"' in negotiation and "¥0.00" in negotiation
    assert not get_messages(response.wsgi_request)


def test_the_headers_count_with_the_boards_filters(client, users, customer, deal):
    make_opportunity(users["rep1"], customer, stage=Stage.PROPOSAL, amount=5)
    response = post(
        client_for(client, users["rep1"]),
        deal,
        Stage.PROPOSAL,
        htmx=True,
        query="q=华东区&stage=won&ordering=-amount",
    )
    proposal = response.content.decode().split('id="board-head-proposal"')[1]
    assert 'data-count="1"' in proposal.split("</header>")[0]


def test_moving_to_the_stage_it_is_in_changes_nothing(client, users, deal):
    response = post(client_for(client, users["rep1"]), deal, Stage.NEGOTIATION)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.version == 1
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_a_lost_deal_is_reopened_by_a_move(client, users, customer):
    lost = make_opportunity(users["rep1"], customer, stage=Stage.LOST)
    response = post(client_for(client, users["rep1"]), lost, Stage.LEAD)
    assert response.status_code == 302
    lost.refresh_from_db()
    assert lost.stage == Stage.LEAD and lost.lost_at is None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com/",
        "https://evil.com/opportunities/",
        "http://testserver.evil.com/",
        "/\\evil.com",
        "\\\\evil.com",
        "javascript:alert(1)",
        "evil.com",
    ],
)
def test_an_outside_next_is_ignored(client, users, deal, target):
    response = post(
        client_for(client, users["rep1"]), deal, Stage.PROPOSAL, next=target
    )
    assert response.status_code == 302
    assert response["Location"] == deal.get_absolute_url()


def test_a_local_next_is_followed(client, users, deal):
    board = reverse("opportunities:opportunity_board") + "?owner=1&q=%E5%8D%8E"
    response = post(client_for(client, users["rep1"]), deal, Stage.PROPOSAL, next=board)
    assert response["Location"] == board
    # A refused move goes back there too
    response = post(
        client_for(client, users["rep1"]), deal, Stage.LOST, version=2, next=board
    )
    assert response["Location"] == board


def test_the_returned_card_escapes_html(client, users, customer):
    deal = make_opportunity(
        users["rep1"], customer, name="<img src=x onerror=alert(1)>", stage="lead"
    )
    response = post(client_for(client, users["rep1"]), deal, Stage.ANALYSIS, htmx=True)
    body = response.content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    # The message travels as JSON text; board.js writes it with textContent
    assert "<img src=x onerror=alert(1)>" in event(response)["message"]


def test_the_moved_card_of_a_won_deal_is_not_flagged_stalled(client, users, deal):
    Opportunity.objects.filter(pk=deal.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=90)
    )
    response = post(client_for(client, users["rep1"]), deal, Stage.PROPOSAL, htmx=True)
    assert "is-stalled" not in response.content.decode()
