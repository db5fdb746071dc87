"""The workbench panels (my open opportunities; the managers' forecast) and
the customer page's opportunity card."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity, Stage
from tests.factories import client_for, make_customer, make_opportunity

WORKBENCH = reverse("crm:workbench")


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def workbench(client, user) -> str:
    response = client_for(client, user).get(WORKBENCH)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def customer(users):
    return make_customer(users["rep1"], success_manager=users["success"])


def test_my_open_opportunities_soonest_first_stalled_flagged(client, users, customer):
    rep1 = users["rep1"]
    today = timezone.localdate()
    later = make_opportunity(
        rep1, customer, name="晚的", expected_close_date=today + datetime.timedelta(9)
    )
    undated = make_opportunity(rep1, customer, name="没日期")
    soon = make_opportunity(
        rep1,
        customer,
        name="早的",
        amount=Decimal("200000.00"),
        expected_close_date=today + datetime.timedelta(2),
        stage=Stage.NEGOTIATION,
    )
    make_opportunity(rep1, customer, name="赢了的", stage=Stage.WON)
    make_opportunity(rep1, customer, name="丢了的", stage=Stage.LOST)
    # rep2 owns a deal on rep1's customer: not "mine" for rep1.
    make_opportunity(users["manager"], customer, name="经理的")
    Opportunity.objects.filter(pk=later.pk).update(
        last_activity_at=timezone.now()
        - datetime.timedelta(days=settings.CRM_STALLED_DAYS, minutes=1)
    )
    panel = section(workbench(client, rep1), "panel-opportunities")
    names = re.findall(r'<div class="ticket-row-main"><a [^>]*>([^<]+)</a>', panel)
    assert names == [soon.name, later.name, undated.name]
    assert panel.count("is-stalled") == 1
    assert re.search(
        r'opp-row is-stalled">\s*<div class="ticket-row-main"><a [^>]*>晚的', panel
    )
    # Counts: 3 open, weighted 200000×60% + 2 × 100000×10%, 1 stalled.
    assert ">3</span>" in panel and "¥140,000.00" in panel
    stalled = re.search(
        r'id="mine-stalled"><span class="queue-stat-value">(\d+)', panel
    )
    assert stalled.group(1) == "1"
    assert f"owner={rep1.pk}&amp;stage=open" in panel


def test_my_panel_shows_the_first_eight_and_a_link_to_the_rest(client, users, customer):
    for i in range(10):
        make_opportunity(users["rep1"], customer, name=f"机会{i}")
    panel = section(workbench(client, users["rep1"]), "panel-opportunities")
    assert panel.count('class="ticket-row opp-row') == 8
    assert "全部 10 个进行中机会" in panel


def test_panels_by_role(client, users, customer):
    make_opportunity(users["rep1"], customer)
    rep1 = workbench(client, users["rep1"])
    assert section(rep1, "panel-opportunities")
    assert not section(rep1, "panel-forecast")
    manager = workbench(client, users["manager"])
    # A manager without deals of their own gets the forecast only.
    assert not section(manager, "panel-opportunities")
    assert "rep1" in section(manager, "panel-forecast")
    for role in ("service", "success"):
        html = workbench(client, users[role])
        assert not section(html, "panel-opportunities")
        assert not section(html, "panel-forecast")
    # A rep with no deals sees the empty panel (they may add one).
    assert "你没有进行中的销售机会" in section(
        workbench(client, users["rep2"]), "panel-opportunities"
    )


def test_manager_with_own_deals_gets_both_panels(client, users, customer):
    make_opportunity(users["manager"], customer, name="经理的")
    html = workbench(client, users["manager"])
    assert "经理的" in section(html, "panel-opportunities")
    assert section(html, "panel-forecast")


def test_workbench_panels_escape_html(client, users, customer):
    make_opportunity(users["rep1"], customer, name="<script>alert(1)</script>")
    html = workbench(client, users["rep1"])
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def card(client, user, customer) -> str:
    response = client_for(client, user).get(customer.get_absolute_url())
    assert response.status_code == 200
    return section(response.content.decode(), "section-opportunities")


def test_customer_card_lists_visible_deals_newest_first_with_markers(
    client, users, customer
):
    first = make_opportunity(users["rep1"], customer, name="第一个", stage=Stage.WON)
    second = make_opportunity(users["rep1"], customer, name="第二个", stage=Stage.LOST)
    third = make_opportunity(
        users["rep1"], customer, name="<b>第三个</b>", amount=Decimal("1234.5")
    )
    html = card(client, users["rep1"], customer)
    assert re.findall(r"(O\d{11,})</span>", html) == [
        third.opp_no,
        second.opp_no,
        first.opp_no,
    ]
    assert "is-won" in html and "is-lost" in html
    assert "ostage-won" in html and "ostage-lost" in html
    assert "¥1,234.50" in html
    assert "&lt;b&gt;第三个&lt;/b&gt;" in html
    new = (
        reverse("opportunities:opportunity_create")
        + f"?customer={customer.customer_no}"
    )
    assert new in html


def test_customer_card_by_role(client, users, customer):
    make_opportunity(users["rep1"], customer, name="看得见")
    # Customer success reads the deals of their customers, adds none.
    html = card(client, users["success"], customer)
    assert "看得见" in html and 'id="new-opportunity"' not in html
    # Customer service sees the customer but no opportunity card at all.
    assert card(client, users["service"], customer) == ""
    assert "看得见" in card(client, users["manager"], customer)


def test_customer_card_hides_deals_the_user_may_not_see(client, users):
    """rep2 views rep1's customer through a share of the customer; the card
    lists the deals the queryset gives rep2, nothing more."""
    from customers import services

    customer = make_customer(users["rep1"])
    services.customer_share(
        actor=users["rep1"], customer=customer, user=users["rep2"], level="view"
    )
    deal = make_opportunity(users["rep1"], customer, name="共享客户的机会")
    visible = Opportunity.objects.for_user(users["rep2"], "view")
    html = card(client, users["rep2"], customer)
    assert ("共享客户的机会" in html) == visible.filter(pk=deal.pk).exists()


def test_customer_card_links_to_the_filtered_list_when_there_are_more(
    client, users, customer
):
    for i in range(9):
        make_opportunity(users["rep1"], customer, name=f"机会{i}")
    html = card(client, users["rep1"], customer)
    assert html.count('class="ticket-row opp-row') == 8
    assert (
        reverse("opportunities:opportunity_list") + f"?customer={customer.customer_no}"
        in html
    )
