"""Follow-up pages: logging from the customer page, the list, editing, deleting,
and what a user may not reach (IDOR: ids, search, filters, forged form values)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from followups.models import FollowUp
from tests.factories import client_for, make_customer, make_followup


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def log_data(customer, **extra) -> dict:
    data = {
        "customer": customer.customer_no,
        "method": "meeting",
        "occurred_at": local(timezone.now() - datetime.timedelta(hours=1)),
        "content": "拜访客户，演示报表模块",
        "feedback": "希望下周报价",
    }
    data.update(extra)
    return data


def new_url(customer) -> str:
    return reverse("followups:followup_create") + f"?customer={customer.customer_no}"


def test_the_customer_page_offers_logging_and_shows_the_timeline(
    client, users, rep1_customer
):
    f = make_followup(users["rep1"], rep1_customer, content="<b>聊了续约</b>")
    page = client_for(client, users["rep1"]).get(rep1_customer.get_absolute_url())
    html = page.content.decode()
    assert 'id="log-followup"' in html
    assert f.get_absolute_url() in html
    # Content is text, never markup
    assert "&lt;b&gt;聊了续约&lt;/b&gt;" in html and "<b>聊了续约" not in html


def test_customer_service_sees_the_timeline_without_log_or_edit(
    client, users, rep1_customer
):
    make_followup(users["rep1"], rep1_customer)
    html = (
        client_for(client, users["service"])
        .get(rep1_customer.get_absolute_url())
        .content.decode()
    )
    assert 'id="followups"' in html
    assert (
        'id="log-followup"' not in html
        and "/edit/" not in html.split('id="followups"')[1].split("</section>")[0]
    )


def test_the_timeline_shows_ten_and_links_to_the_rest(client, users, rep1_customer):
    for i in range(11):
        make_followup(
            users["rep1"],
            rep1_customer,
            occurred_at=timezone.now() - datetime.timedelta(days=i + 1),
        )
    response = client_for(client, users["rep1"]).get(rep1_customer.get_absolute_url())
    card = next(s for s in response.context["sections"] if s["name"] == "followups")
    assert len(card["data"]["followups"]) == 10 and card["data"]["more"]
    assert f"?customer={rep1_customer.customer_no}" in response.content.decode()


def test_a_rep_logs_a_follow_up_with_a_plan(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    form = c.get(new_url(rep1_customer))
    assert form.status_code == 200
    next_at = timezone.now() + datetime.timedelta(days=2)
    response = c.post(
        new_url(rep1_customer),
        log_data(
            rep1_customer,
            has_plan="on",
            next_at=local(next_at),
            next_owner=users["rep1"].pk,
            next_goal="发送报价单",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == rep1_customer.get_absolute_url()
    f = FollowUp.objects.get()
    assert (f.user, f.method, f.next_goal) == (users["rep1"], "meeting", "发送报价单")
    assert f.next_owner == users["rep1"] and f.next_at is not None


def test_the_plan_is_ignored_unless_ticked(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    # The folded plan fields still post what they hold
    data = log_data(
        rep1_customer, next_goal="忽略", next_owner=users["rep1"].pk, next_at="x"
    )
    assert c.post(new_url(rep1_customer), data).status_code == 302
    f = FollowUp.objects.get()
    assert f.next_at is None and f.next_goal == ""


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"content": ""}, "content"),
        ({"method": ""}, "method"),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at"),
        ({"has_plan": "on"}, "next_at"),
        ({"has_plan": "on", "next_at": "2000-01-01T10:00"}, "next_at"),
    ],
)
def test_bad_input_is_an_error_next_to_its_field(
    client, users, rep1_customer, extra, field
):
    c = client_for(client, users["rep1"])
    response = c.post(new_url(rep1_customer), log_data(rep1_customer, **extra))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not FollowUp.objects.exists()


def test_a_forged_customer_is_refused(client, users, rep1_customer, rep2_customer):
    # rep1 opens the form on their customer, then forges rep2's number
    c = client_for(client, users["rep1"])
    response = c.post(new_url(rep1_customer), log_data(rep2_customer))
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    # …or opens the form on rep2's customer directly: a 404
    assert c.get(new_url(rep2_customer)).status_code == 404
    assert c.post(new_url(rep2_customer), log_data(rep2_customer)).status_code == 404
    assert not FollowUp.objects.exists()


def test_a_plan_owner_who_cannot_see_the_customer_is_refused(
    client, users, rep1_customer
):
    c = client_for(client, users["rep1"])
    data = log_data(
        rep1_customer,
        has_plan="on",
        next_at=local(timezone.now() + datetime.timedelta(days=1)),
        next_owner=users["rep2"].pk,
    )
    response = c.post(new_url(rep1_customer), data)
    assert response.status_code == 200
    assert response.context["form"].errors["next_owner"]
    assert not FollowUp.objects.exists()


def test_a_rep_cannot_forge_the_follower(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    c.post(new_url(rep1_customer), log_data(rep1_customer, user=users["rep2"].pk))
    assert FollowUp.objects.get().user == users["rep1"]


def test_edit_is_for_the_writer_and_managers(client, users, rep1_customer):
    f = make_followup(users["rep1"], rep1_customer)
    url = reverse("followups:followup_update", args=[f.record_no])
    assert client_for(client, users["service"]).get(url).status_code == 403
    assert client_for(client, users["rep2"]).get(url).status_code == 404
    detail = client_for(client, users["service"]).get(f.get_absolute_url())
    assert detail.status_code == 200 and b'id="edit-followup"' not in detail.content
    c = client_for(client, users["rep1"])
    page = c.get(url)
    assert page.status_code == 200
    data = {
        "method": "email",
        "occurred_at": local(f.occurred_at),
        "content": "改成邮件",
        "version": f.version,
        "loaded": page.context["form"].initial["loaded"],
    }
    response = c.post(url, data)
    assert response.status_code == 302
    f.refresh_from_db()
    assert (f.method, f.content, f.version) == ("email", "改成邮件", 2)


def test_a_stale_edit_is_refused(client, users, rep1_customer):
    f = make_followup(users["rep1"], rep1_customer)
    c = client_for(client, users["rep1"])
    url = reverse("followups:followup_update", args=[f.record_no])
    loaded = c.get(url).context["form"].initial["loaded"]
    FollowUp.objects.filter(pk=f.pk).update(version=2, content="别人改的")
    data = {
        "method": "phone",
        "occurred_at": local(f.occurred_at),
        "content": "我改的",
        "version": 1,
        "loaded": loaded,
    }
    response = c.post(url, data)
    assert response.status_code == 200
    assert FollowUp.objects.get(pk=f.pk).content == "别人改的"


def test_delete_and_restore(client, users, rep1_customer):
    f = make_followup(users["rep1"], rep1_customer)
    url = reverse("followups:followup_delete", args=[f.record_no])
    assert client_for(client, users["rep1"]).post(url).status_code == 403
    c = client_for(client, users["manager"])
    assert c.post(url)["Location"] == rep1_customer.get_absolute_url()
    assert not FollowUp.objects.for_user(users["manager"]).exists()
    assert Customer.objects.get(pk=rep1_customer.pk).last_followup_at is None
    trash = c.get(reverse("followups:followup_trash"))
    assert f.record_no in trash.content.decode()
    c.post(reverse("followups:followup_restore", args=[f.record_no]))
    assert FollowUp.objects.for_user(users["manager"]).get() == f


def test_the_list_filters_and_searches_only_visible_rows(
    client, users, rep1_customer, rep2_customer
):
    mine = make_followup(users["rep1"], rep1_customer, content="讨论了报价方案")
    theirs = make_followup(users["rep2"], rep2_customer, content="讨论了报价方案")
    c = client_for(client, users["rep1"])
    url = reverse("followups:followup_list")

    def listed(**params) -> set:
        response = c.get(url, params)
        assert response.status_code == 200
        return {f.record_no for f in response.context["object_list"]}

    assert listed() == {mine.record_no}
    assert listed(q="报价") == {mine.record_no}
    assert listed(q=theirs.record_no) == set()
    assert listed(customer=rep2_customer.customer_no) == set()
    assert listed(user=users["rep2"].pk) == set()
    assert listed(owner=users["rep2"].pk) == set()
    assert listed(customer=rep1_customer.customer_no) == {mine.record_no}
    assert listed(method="email") == set()
    # The htmx results fragment obeys the same rules
    fragment = c.get(url, {"q": "报价"}, headers={"HX-Request": "true"})
    assert mine.record_no in fragment.content.decode()
    assert theirs.record_no not in fragment.content.decode()
    # Another user's record by its number: 404
    assert c.get(theirs.get_absolute_url()).status_code == 404


def test_list_period_and_open_plan_filters(client, users, rep1_customer):
    rep1 = users["rep1"]
    now = timezone.now()
    old = make_followup(
        rep1, rep1_customer, occurred_at=now - datetime.timedelta(days=40)
    )
    planned = make_followup(
        rep1,
        rep1_customer,
        # Exactly now: "this week" holds it even in a week's first minutes
        # (a few minutes earlier falls in last week on Monday at 00:03).
        occurred_at=now,
        next_at=now + datetime.timedelta(days=1),
        next_owner=rep1,
    )
    c = client_for(client, rep1)
    url = reverse("followups:followup_list")

    def listed(**params) -> set:
        return {f.pk for f in c.get(url, params).context["object_list"]}

    assert listed(period="week") == {planned.pk}
    assert listed(open_plan="true") == {planned.pk}
    assert listed(open_plan="false") == {old.pk}
    day = timezone.localtime(old.occurred_at).date().isoformat()
    assert listed(period="custom", start=day, end=day) == {old.pk}
    bad = c.get(url, {"start": "不是日期"})
    assert bad.status_code == 200 and bad.context["filter"].errors


def test_customer_list_shows_and_sorts_by_last_follow_up(client, users):
    rep1 = users["rep1"]
    a = make_customer(rep1, name="甲有限公司")
    b = make_customer(rep1, name="乙有限公司")
    make_followup(rep1, a, occurred_at=timezone.now() - datetime.timedelta(days=3))
    make_followup(rep1, b, occurred_at=timezone.now() - datetime.timedelta(days=1))
    c = client_for(client, rep1)
    # Offered in the column chooser (the default set fits a 1440 px screen)
    response = c.get(
        reverse("customers:customer_list"),
        {"ordering": "-last_followup_at", "columns": "name,last_followup_at"},
    )
    names = [x.name for x in response.context["object_list"]]
    assert names[:2] == ["乙有限公司", "甲有限公司"]
    assert "col-last_followup_at" in response.content.decode()
