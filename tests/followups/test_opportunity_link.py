"""A follow-up names the deal it was about: the form offers the customer's
deals the user sees, a forged one is refused next to the field, logging on a
deal keeps it from counting as stalled, and the follow-up's pages name the
deal only to readers who may see it (customer service sees follow-ups, never
deals)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from opportunities import services as opportunity_services
from opportunities.models import Opportunity
from tests.factories import client_for, make_customer, make_followup, make_opportunity


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def log_data(customer, **extra) -> dict:
    data = {
        "customer": customer.customer_no,
        "method": "phone",
        "occurred_at": local(timezone.now() - datetime.timedelta(hours=1)),
        "content": "电话沟通方案细节",
    }
    data.update(extra)
    return data


def new_url(customer, **params) -> str:
    query = "&".join(
        f"{k}={v}" for k, v in {"customer": customer.customer_no, **params}.items()
    )
    return reverse("followups:followup_create") + "?" + query


def options(response) -> list[str]:
    """The values the opportunity select offers, in order (without "none")."""
    form = response.context["form"]
    if "opportunity" not in form.fields:
        return []
    return [str(v) for v, _label in form.fields["opportunity"].choices if v]


def field_error(response, name: str) -> str:
    """The error text shown right under the field."""
    html = response.content.decode()
    match = re.search(rf'id="id_{name}_error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


@pytest.fixture
def deals(users, rep1_customer):
    """rep1's customer with a deal in the lead stage, a won one and a lost one
    (created in that order), and a deal in the trash."""
    rep1 = users["rep1"]
    lead = make_opportunity(rep1, rep1_customer, name="ERP 升级")
    won = make_opportunity(rep1, rep1_customer, name="年度运维", stage="won")
    lost = make_opportunity(rep1, rep1_customer, name="呼叫中心", stage="lost")
    trashed = make_opportunity(rep1, rep1_customer, name="已删除机会")
    opportunity_services.opportunity_delete(actor=users["admin"], opportunity=trashed)
    return {"lead": lead, "won": won, "lost": lost, "trashed": trashed}


def test_the_form_offers_the_customers_visible_deals_open_first(
    client, users, rep1_customer, rep2_customer, deals
):
    make_opportunity(users["rep2"], rep2_customer, name="别人的机会")
    newer_open = make_opportunity(users["rep1"], rep1_customer, stage="proposal")
    response = client_for(client, users["rep1"]).get(new_url(rep1_customer))
    assert options(response) == [
        newer_open.opp_no,
        deals["lead"].opp_no,
        deals["won"].opp_no,
        deals["lost"].opp_no,
    ]
    html = response.content.decode()
    assert "销售机会" in html and "ERP 升级 · 线索" in html


def test_no_field_when_the_customer_has_no_deal_the_user_sees(
    client, users, rep1_customer
):
    c = client_for(client, users["rep1"])
    response = c.get(new_url(rep1_customer))
    assert "opportunity" not in response.context["form"].fields
    assert 'name="opportunity"' not in response.content.decode()


def test_the_deal_page_link_preselects_the_deal(client, users, rep1_customer, deals):
    c = client_for(client, users["rep1"])
    response = c.get(new_url(rep1_customer, opportunity=deals["won"].opp_no))
    html = response.content.decode()
    assert f'<option value="{deals["won"].opp_no}" selected>' in html
    # A number that is not among the choices preselects nothing
    response = c.get(new_url(rep1_customer, opportunity="O19990101001"))
    assert (
        " selected>"
        not in response.content.decode()
        .split('name="opportunity"')[1]
        .split("</select>")[0]
    )


def test_logging_on_a_deal_links_it_and_it_is_no_longer_stalled(
    client, users, rep1_customer, deals
):
    # Given a deal untouched for 40 days (stalled)
    deal = deals["lead"]
    old = timezone.now() - datetime.timedelta(days=40)
    Opportunity.objects.filter(pk=deal.pk).update(
        last_activity_at=old, stage_changed_at=old
    )
    since = timezone.now() - datetime.timedelta(days=30)
    assert Opportunity.objects.stalled(since).filter(pk=deal.pk).exists()
    # When rep1 logs a follow-up on it
    c = client_for(client, users["rep1"])
    response = c.post(
        new_url(rep1_customer), log_data(rep1_customer, opportunity=deal.opp_no)
    )
    # Then the follow-up names it, and it is not stalled any more
    assert response.status_code == 302
    followup = FollowUp.objects.get()
    assert followup.opportunity == deal
    assert not Opportunity.objects.stalled(since).filter(pk=deal.pk).exists()
    deal.refresh_from_db()
    assert deal.last_activity_at == followup.occurred_at
    # Logging is not an edit of the deal: an open form of it is not stale
    assert deal.version == 1


@pytest.mark.parametrize("which", ["other_customer", "hidden", "trashed"])
def test_a_forged_deal_is_refused_next_to_the_field(
    client, users, rep1_customer, rep2_customer, deals, which
):
    if which == "other_customer":
        # rep1's own deal, on another of rep1's customers
        forged = make_opportunity(users["rep1"], make_customer(users["rep1"]))
    elif which == "hidden":
        # rep2's deal on rep2's customer: rep1 may not see it at all
        forged = make_opportunity(users["rep2"], rep2_customer)
    else:
        forged = deals["trashed"]
    c = client_for(client, users["rep1"])
    response = c.post(
        new_url(rep1_customer), log_data(rep1_customer, opportunity=forged.opp_no)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["opportunity"]
    assert field_error(response, "opportunity") == "请选择这个客户的销售机会。"
    assert not FollowUp.objects.exists()
    forged.refresh_from_db()
    assert forged.followups.count() == 0


def test_a_deal_of_another_customer_than_the_posted_one_is_refused(
    client, users, rep1_customer, deals
):
    # The form opened on one customer, the hidden customer field changed to
    # another of rep1's: the first customer's deal does not fit the second
    other = make_customer(users["rep1"])
    c = client_for(client, users["rep1"])
    response = c.post(
        new_url(rep1_customer), log_data(other, opportunity=deals["lead"].opp_no)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["opportunity"]
    assert not FollowUp.objects.exists()


def test_a_posted_deal_is_ignored_when_the_form_has_no_field(
    client, users, rep1_customer, rep2_customer
):
    hidden = make_opportunity(users["rep2"], rep2_customer)
    c = client_for(client, users["rep1"])
    response = c.post(
        new_url(rep1_customer), log_data(rep1_customer, opportunity=hidden.opp_no)
    )
    assert response.status_code == 302
    assert FollowUp.objects.get().opportunity is None


def test_editing_changes_or_removes_the_deal(client, users, rep1_customer, deals):
    followup = make_followup(users["rep1"], rep1_customer, opportunity=deals["lead"])
    url = reverse("followups:followup_update", args=[followup.record_no])
    c = client_for(client, users["rep1"])
    page = c.get(url)
    assert page.context["form"]["opportunity"].value() == deals["lead"].opp_no
    data = {
        "method": "phone",
        "occurred_at": local(followup.occurred_at),
        "content": followup.content,
        "version": followup.version,
        "loaded": page.context["form"].initial["loaded"],
        "opportunity": deals["won"].opp_no,
    }
    assert c.post(url, data).status_code == 302
    followup.refresh_from_db()
    assert followup.opportunity == deals["won"]
    page = c.get(url)
    data.update(
        version=followup.version,
        loaded=page.context["form"].initial["loaded"],
        opportunity="",
    )
    assert c.post(url, data).status_code == 302
    followup.refresh_from_db()
    assert followup.opportunity is None


def test_an_editor_who_cannot_see_the_deal_leaves_the_link_alone(
    client, users, rep1_customer, rep2_customer
):
    # The manager logged a follow-up on a deal now in the trash: the edit
    # form has no deal field (the deal is not among the choices), and saving
    # keeps the link rather than dropping it silently.
    deal = make_opportunity(users["rep1"], rep1_customer)
    followup = make_followup(users["manager"], rep1_customer, opportunity=deal)
    opportunity_services.opportunity_delete(actor=users["manager"], opportunity=deal)
    make_opportunity(users["rep1"], rep1_customer)  # another, visible deal
    url = reverse("followups:followup_update", args=[followup.record_no])
    c = client_for(client, users["manager"])
    page = c.get(url)
    assert "opportunity" not in page.context["form"].fields
    data = {
        "method": "email",
        "occurred_at": local(followup.occurred_at),
        "content": "改过",
        "version": followup.version,
        "loaded": page.context["form"].initial["loaded"],
    }
    assert c.post(url, data).status_code == 302
    followup.refresh_from_db()
    assert followup.opportunity_id == deal.pk and followup.method == "email"


def test_success_links_a_deal_of_a_customer_they_manage(client, users):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    deal = make_opportunity(users["rep1"], customer, stage="won")
    c = client_for(client, users["success"])
    assert options(c.get(new_url(customer))) == [deal.opp_no]
    response = c.post(new_url(customer), log_data(customer, opportunity=deal.opp_no))
    assert response.status_code == 302
    assert FollowUp.objects.get().opportunity == deal


def test_the_follow_up_pages_name_the_deal_only_to_who_may_see_it(
    client, users, rep1_customer
):
    deal = make_opportunity(
        users["rep1"], rep1_customer, name="<script>alert(1)</script>机会"
    )
    followup = make_followup(users["rep1"], rep1_customer, opportunity=deal)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;机会"
    for role in ("rep1", "manager", "admin"):
        c = client_for(client, users[role])
        for url in (followup.get_absolute_url(), rep1_customer.get_absolute_url()):
            html = c.get(url).content.decode()
            assert deal.get_absolute_url() in html, (role, url)
            assert escaped in html and "<script>alert(1)" not in html
    # Customer service sees the follow-up and the customer, not the deal
    c = client_for(client, users["service"])
    for url in (followup.get_absolute_url(), rep1_customer.get_absolute_url()):
        response = c.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert deal.opp_no not in html and "alert(1)" not in html, url
        assert 'id="followup-opportunity"' not in html


def test_the_list_column_names_the_deal_only_to_who_may_see_it(
    client, users, rep1_customer
):
    deal = make_opportunity(users["rep1"], rep1_customer, name="<i>列表机会</i>")
    make_followup(users["rep1"], rep1_customer, opportunity=deal)
    url = reverse("followups:followup_list") + "?columns=occurred_at,opportunity"
    html = client_for(client, users["rep1"]).get(url).content.decode()
    assert deal.get_absolute_url() in html and "&lt;i&gt;列表机会" in html
    html = client_for(client, users["service"]).get(url).content.decode()
    assert 'class="col-opportunity"' in html
    assert deal.opp_no not in html and "列表机会" not in html


def test_the_form_option_escapes_the_deal_name(client, users, rep1_customer):
    make_opportunity(users["rep1"], rep1_customer, name="<b>粗体</b>")
    html = (
        client_for(client, users["rep1"]).get(new_url(rep1_customer)).content.decode()
    )
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html and "<b>粗体" not in html


def queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["admin", "rep1", "service", "success"])
def test_linked_deals_add_no_query_per_follow_up(client, users, role):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    deals = [make_opportunity(users["rep1"], customer) for _ in range(3)]

    def grow(n):
        for i in range(n):
            make_followup(
                users["rep1"],
                customer,
                opportunity=deals[i % 3],
                occurred_at=timezone.now() - datetime.timedelta(days=i + 1),
            )

    c = client_for(client, users[role])
    grow(3)
    detail = FollowUp.objects.earliest("id").get_absolute_url()
    listing = reverse("followups:followup_list") + "?columns=customer,opportunity"
    urls = (listing, detail, customer.get_absolute_url())
    few = [queries(c, url) for url in urls]
    grow(12)
    many = [queries(c, url) for url in urls]
    assert many == few
