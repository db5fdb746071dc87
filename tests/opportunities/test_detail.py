"""The opportunity's page: what it shows (fields, stage history with days,
payments' totals, follow-ups, history) and who may act on it; losing a deal;
deleting to the trash and restoring; hidden deals are a 404."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from opportunities import services
from opportunities.detail_views import collection_rate, stage_history
from opportunities.models import Opportunity, Stage, StageChange
from tests.factories import client_for, make_followup, make_opportunity


def detail(opp) -> str:
    return reverse("opportunities:opportunity_detail", args=[opp.opp_no])


@pytest.fixture
def deal(users, rep1_customer):
    return make_opportunity(
        users["rep1"],
        rep1_customer,
        name="<b>ERP 升级</b>",
        amount=Decimal("100000"),
        competitor="<i>用友</i>",
        competitor_focus="价格",
    )


def test_the_owner_sees_the_deal_with_its_actions(client, users, deal):
    response = client_for(client, users["rep1"]).get(detail(deal))
    assert response.status_code == 200
    html = response.content.decode()
    # Text fields are text, never markup
    assert "&lt;b&gt;ERP 升级&lt;/b&gt;" in html and "<b>ERP" not in html
    assert "&lt;i&gt;用友&lt;/i&gt;" in html and "<i>用友" not in html
    assert "¥100,000.00" in html
    assert 'id="win-deal"' in html and 'id="lose-submit"' in html
    assert 'id="edit-opportunity"' in html and 'id="delete-opportunity"' in html
    # An open deal records no payments
    assert 'id="payment-form"' not in html
    move = reverse("opportunities:opportunity_move", args=[deal.opp_no])
    assert f'action="{move}"' in html


@pytest.mark.parametrize("role", ["rep2", "service"])
def test_a_hidden_deal_is_a_404_everywhere(client, users, deal, role):
    c = client_for(client, users[role])
    no = deal.opp_no
    assert c.get(detail(deal)).status_code == 404
    for name in ("opportunity_update", "opportunity_delete"):
        assert c.get(reverse(f"opportunities:{name}", args=[no])).status_code == 404
    for name in ("opportunity_lose", "payment_add"):
        url = reverse(f"opportunities:{name}", args=[no])
        assert c.post(url, {"version": 1, "lost_reason": "x"}).status_code == 404
    deal.refresh_from_db()
    assert deal.stage == Stage.LEAD


def test_a_missing_deal_is_a_404(client, users):
    c = client_for(client, users["admin"])
    url = reverse("opportunities:opportunity_detail", args=["O20990101001"])
    assert c.get(url).status_code == 404


def test_customer_success_reads_the_deal_without_actions(client, users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    opp = make_opportunity(users["rep1"], customer)
    c = client_for(client, users["success"])
    response = c.get(detail(opp))
    assert response.status_code == 200
    html = response.content.decode()
    for marker in ("win-deal", "lose-submit", "edit-opportunity", "delete-opportunity"):
        assert f'id="{marker}"' not in html
    # …and the change actions are a 403
    url = reverse("opportunities:opportunity_lose", args=[opp.opp_no])
    assert c.post(url, {"version": opp.version, "lost_reason": "x"}).status_code == 403
    assert (
        c.get(
            reverse("opportunities:opportunity_update", args=[opp.opp_no])
        ).status_code
        == 403
    )


def test_a_rep_with_a_view_share_reads_but_may_not_work_the_deal(
    client, users, rep1_customer, deal
):
    from customers import services as customer_services

    customer_services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="view"
    )
    c = client_for(client, users["rep2"])
    assert c.get(detail(deal)).status_code == 200
    url = reverse("opportunities:opportunity_lose", args=[deal.opp_no])
    assert c.post(url, {"version": deal.version, "lost_reason": "x"}).status_code == 403
    assert c.get(url).status_code == 405


def test_the_stage_history_counts_the_days_in_each_stage(users, rep1_customer):
    start = timezone.now() - datetime.timedelta(days=10)
    opp = make_opportunity(users["rep1"], rep1_customer)
    StageChange.objects.filter(opportunity=opp).update(changed_at=start)
    opp = services.opportunity_move(
        actor=users["rep1"],
        opportunity=opp,
        stage=Stage.PROPOSAL,
        expected_version=opp.version,
        at=start + datetime.timedelta(days=3, hours=2),
    )
    rows = stage_history(opp, start + datetime.timedelta(days=10))
    assert [(r["change"].to_stage, r["days"], r["current"]) for r in rows] == [
        (Stage.LEAD, 3, False),
        (Stage.PROPOSAL, 6, True),
    ]


def test_the_page_shows_the_stage_history(client, users, deal):
    services.opportunity_move(
        actor=users["rep1"],
        opportunity=deal,
        stage=Stage.NEGOTIATION,
        expected_version=deal.version,
    )
    response = client_for(client, users["rep1"]).get(detail(deal))
    rows = response.context["stage_history"]
    assert [r["change"].to_stage for r in rows] == [Stage.LEAD, Stage.NEGOTIATION]
    assert rows[0]["change"].changed_by == users["rep1"]
    html = response.content.decode()
    assert html.count('class="stage-row') == 2


@pytest.mark.parametrize(
    "received, amount, shown",
    [
        ("30000", "100000", "30.0%"),
        ("1", "3", "33.3%"),
        ("0", "100", "0.0%"),
        ("100", "100", "100.0%"),
        ("0", "0", "—"),
    ],
)
def test_collection_rate(received, amount, shown):
    assert collection_rate(Decimal(received), Decimal(amount)) == shown


def test_losing_needs_a_reason_next_to_the_field(client, users, deal):
    c = client_for(client, users["rep1"])
    url = reverse("opportunities:opportunity_lose", args=[deal.opp_no])
    response = c.post(url, {"version": deal.version, "lost_reason": "  "})
    assert response.status_code == 200
    assert response.context["lose_form"].errors["lost_reason"]
    assert 'id="lose-lost_reason_error"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == Stage.LEAD


def test_losing_records_the_stage_and_reason(client, users, deal):
    c = client_for(client, users["rep1"])
    url = reverse("opportunities:opportunity_lose", args=[deal.opp_no])
    response = c.post(url, {"version": deal.version, "lost_reason": "<b>预算取消</b>"})
    assert response.status_code == 302 and response["Location"] == detail(deal)
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_stage, deal.lost_reason) == (
        Stage.LOST,
        Stage.LEAD,
        "<b>预算取消</b>",
    )
    html = c.get(detail(deal)).content.decode()
    assert "&lt;b&gt;预算取消&lt;/b&gt;" in html
    # A lost deal offers reopening at the stage it was lost at
    assert 'id="reopen-deal"' in html and f'value="{Stage.LEAD}"' in html
    assert 'id="win-deal"' not in html


def test_a_stale_lose_is_refused(client, users, deal):
    c = client_for(client, users["rep1"])
    services.opportunity_move(
        actor=users["rep1"],
        opportunity=deal,
        stage=Stage.ANALYSIS,
        expected_version=deal.version,
    )
    url = reverse("opportunities:opportunity_lose", args=[deal.opp_no])
    response = c.post(url, {"version": deal.version, "lost_reason": "价格"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == Stage.ANALYSIS


def test_losing_a_won_deal_is_refused_with_the_reason(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    c = client_for(client, users["rep1"])
    url = reverse("opportunities:opportunity_lose", args=[opp.opp_no])
    response = c.post(url, {"version": opp.version, "lost_reason": "x"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("只有进行中的机会" in m for m in shown), shown
    opp.refresh_from_db()
    assert opp.stage == Stage.WON


def test_a_won_deal_offers_revert_with_a_warning(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    html = client_for(client, users["rep1"]).get(detail(opp)).content.decode()
    assert 'id="revert-win"' in html and f'value="{Stage.NEGOTIATION}"' in html
    assert "data-confirm=" in html.split('id="revert-win"')[0].rsplit("<form", 1)[1]
    assert 'id="payment-form"' in html
    # A won deal counts in the customer's amount: it is not offered for deletion
    assert 'id="delete-opportunity"' not in html


def test_related_follow_ups_are_listed_with_a_log_link(
    client, users, rep1_customer, deal
):
    f = make_followup(
        users["rep1"], rep1_customer, opportunity=deal, content="<b>报价沟通</b>"
    )
    make_followup(users["rep1"], rep1_customer, content="另一件事")
    response = client_for(client, users["rep1"]).get(detail(deal))
    html = response.content.decode()
    assert [x.pk for x in response.context["followups"]] == [f.pk]
    assert "&lt;b&gt;报价沟通&lt;/b&gt;" in html
    log = (
        f"{reverse('followups:followup_create')}?customer={rep1_customer.customer_no}"
        f"&amp;opportunity={deal.opp_no}"
    )
    assert log in html


def test_trashed_follow_ups_are_not_listed(client, users, rep1_customer, deal):
    from followups import services as followup_services

    f = make_followup(users["rep1"], rep1_customer, opportunity=deal)
    followup_services.followup_delete(actor=users["admin"], followup=f)
    response = client_for(client, users["rep1"]).get(detail(deal))
    assert response.context["followups"] == []
    assert FollowUp.objects.filter(pk=f.pk).exists()


def test_the_history_lists_changes(client, users, deal):
    services.opportunity_update(
        actor=users["rep1"],
        opportunity=deal,
        data={"amount": Decimal("120000")},
        expected_version=deal.version,
    )
    html = client_for(client, users["rep1"]).get(detail(deal)).content.decode()
    assert "100,000.00" in html and "120,000.00" in html


def test_deleting_moves_the_deal_to_the_trash_and_an_admin_restores_it(
    client, users, rep1_customer, deal
):
    c = client_for(client, users["rep1"])
    url = reverse("opportunities:opportunity_delete", args=[deal.opp_no])
    assert c.get(url).status_code == 200
    response = c.post(url)
    assert response.status_code == 302
    assert response["Location"] == rep1_customer.get_absolute_url()
    assert c.get(detail(deal)).status_code == 404
    # Reps have no trash
    trash = reverse("opportunities:opportunity_trash")
    assert c.get(trash).status_code == 403
    admin = client_for(client, users["admin"])
    page = admin.get(trash)
    assert page.status_code == 200 and deal.opp_no in page.content.decode()
    restore = reverse("opportunities:opportunity_restore", args=[deal.opp_no])
    assert admin.get(restore).status_code == 405
    assert admin.post(restore).status_code == 302
    assert Opportunity.objects.alive().filter(pk=deal.pk).exists()


def test_a_rep_may_not_restore(client, users, deal):
    services.opportunity_delete(actor=users["rep1"], opportunity=deal)
    c = client_for(client, users["rep1"])
    restore = reverse("opportunities:opportunity_restore", args=[deal.opp_no])
    assert c.post(restore).status_code == 403
    assert not Opportunity.objects.alive().filter(pk=deal.pk).exists()


def test_restoring_a_live_deal_is_a_404(client, users, deal):
    admin = client_for(client, users["admin"])
    restore = reverse("opportunities:opportunity_restore", args=[deal.opp_no])
    assert admin.post(restore).status_code == 404


def test_deleting_a_won_deal_is_refused_with_the_reason(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    c = client_for(client, users["manager"])
    url = reverse("opportunities:opportunity_delete", args=[opp.opp_no])
    response = c.post(url, follow=True)
    assert response.redirect_chain[-1][0] == detail(opp)
    assert "历史合作金额" in response.content.decode()
    assert Opportunity.objects.alive().filter(pk=opp.pk).exists()


def test_a_rep_may_not_delete_a_deal_they_only_work_through_the_customer(
    client, users, rep1_customer
):
    opp = make_opportunity(users["manager"], rep1_customer)
    c = client_for(client, users["rep1"])
    assert c.get(detail(opp)).status_code == 200
    url = reverse("opportunities:opportunity_delete", args=[opp.opp_no])
    assert c.post(url).status_code == 403
    assert 'id="delete-opportunity"' not in c.get(detail(opp)).content.decode()


def test_the_move_select_starts_at_the_next_stage(client, users, deal):
    c = client_for(client, users["rep1"])
    actions = c.get(detail(deal)).context["actions"]
    assert actions["next"] == Stage.ANALYSIS
    assert [v for v, _ in actions["moves"]] == [
        Stage.ANALYSIS,
        Stage.PROPOSAL,
        Stage.NEGOTIATION,
    ]
