"""The ticket pages: the queue's tabs and filters, the detail page's actions,
the create and edit forms, the customer card and the workbench panel."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import ticket_services as services
from followups.models import Ticket
from tests import factories
from tests.factories import client_for

S = Ticket.Status
QUEUE = "/tickets/"


def rows(response) -> list[str]:
    return [t.ticket_no for t in response.context["object_list"]]


@pytest.fixture
def queue(users, rep1_customer, rep2_customer):
    """Four tickets: mine (service's, overdue), unassigned, rep2's, closed."""
    now = timezone.now()
    service = users["service"]
    mine = factories.make_ticket(
        service,
        rep1_customer,
        subject="我的超期工单",
        priority="urgent",
        assignee=service,
        created_at=now - timedelta(hours=6),
    )
    pool = factories.make_ticket(
        service, rep2_customer, subject="待分配咨询", kind="question"
    )
    pulled = factories.make_ticket(
        service, rep1_customer, subject="请销售协助", assignee=users["rep2"]
    )
    done = factories.make_ticket(service, rep2_customer, subject="已关闭的请求")
    for action, extra in (
        ("start", {}),
        ("resolve", {"resolution": "处理完毕"}),
        ("close", {"satisfaction": 5}),
    ):
        done = services.ticket_transition(
            actor=service,
            ticket=done,
            action=action,
            expected_version=done.version,
            **extra,
        )
    return {"mine": mine, "pool": pool, "pulled": pulled, "done": done}


@pytest.mark.parametrize(
    "tab, expected",
    [
        ("mine", {"mine"}),
        ("unassigned", {"pool"}),
        ("overdue", {"mine"}),
        ("all", {"mine", "pool", "pulled", "done"}),
        ("", {"mine", "pool", "pulled", "done"}),
    ],
)
def test_queue_tabs(client, users, queue, tab, expected):
    client_for(client, users["service"])
    response = client.get(QUEUE, {"tab": tab})
    assert response.status_code == 200
    assert set(rows(response)) == {queue[k].ticket_no for k in expected}


def test_open_tabs_list_the_most_urgent_first(client, users, queue):
    later = factories.make_ticket(
        users["service"], queue["mine"].customer, priority="low"
    )
    client_for(client, users["service"])
    response = client.get(QUEUE, {"tab": "unassigned"})
    assert rows(response) == [queue["pool"].ticket_no, later.ticket_no]


def test_tab_counts_and_overdue_flag(client, users, queue):
    client_for(client, users["service"])
    for params in ({}, {"tab": "all"}):
        response = client.get(QUEUE, params)
        counts = {t["key"]: t["count"] for t in response.context["tabs"]}
        assert counts == {"mine": 1, "unassigned": 1, "overdue": 1, "all": None}
    html = response.content.decode()
    assert 'class="is-overdue"' in html
    assert html.count("overdue-flag") == 1


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"kind": "question"}, {"pool"}),
        ({"priority": "urgent"}, {"mine"}),
        ({"status": "closed"}, {"done"}),
        ({"q": "协助"}, {"pulled"}),
        ({"q": "ticket_no"}, {"pool"}),
        ({"assignee": "rep2"}, {"pulled"}),
        ({"customer": "rep2_customer"}, {"pool", "done"}),
    ],
)
def test_queue_filters_and_search(client, users, queue, params, expected):
    params = dict(params)
    if params.get("q") == "ticket_no":
        params["q"] = queue["pool"].ticket_no.lower()
    if params.get("assignee") == "rep2":
        params["assignee"] = users["rep2"].pk
    if params.get("customer") == "rep2_customer":
        params["customer"] = queue["pool"].customer.customer_no
    client_for(client, users["service"])
    response = client.get(QUEUE, params)
    assert set(rows(response)) == {queue[k].ticket_no for k in expected}


def test_sort_by_priority_follows_the_priority_order(client, users, queue):
    client_for(client, users["service"])
    response = client.get(QUEUE, {"ordering": "-priority"})
    assert rows(response)[0] == queue["mine"].ticket_no
    response = client.get(QUEUE, {"ordering": "priority"})
    assert rows(response)[-1] == queue["mine"].ticket_no


def test_htmx_results_partial_sends_tabs_out_of_band(client, users, queue):
    client_for(client, users["service"])
    response = client.get(QUEUE, {"tab": "mine"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="queue-tabs" aria-label' in html and 'hx-swap-oob="true"' in html
    assert response["HX-Push-Url"] == "/tickets/?tab=mine"


def test_detail_shows_only_legal_steps(client, users, queue):
    client_for(client, users["service"])
    response = client.get(queue["mine"].get_absolute_url())
    assert [s.action for s in response.context["steps"]] == ["start"]
    assert not response.context["can_resolve"]
    response = client.get(queue["done"].get_absolute_url())
    assert [s.action for s in response.context["steps"]] == ["reopen"]
    html = response.content.decode()
    assert 'data-step="reopen"' in html and 'data-step="start"' not in html
    assert 'id="ticket-satisfaction">5 / 5' in html


def test_view_only_roles_get_no_action_buttons(client, users, queue):
    client_for(client, users["rep1"])
    html = client.get(queue["mine"].get_absolute_url()).content.decode()
    assert "data-step=" not in html
    assert "comment-form" not in html and "assign-form" not in html


def test_timeline_has_comments_and_status_changes_in_time_order(client, users, queue):
    ticket = queue["pool"]
    service = users["service"]
    ticket = services.ticket_transition(
        actor=service, ticket=ticket, action="start", expected_version=1
    )
    services.ticket_comment(actor=service, ticket=ticket, body="<b>已联系</b>客户")
    client_for(client, service)
    response = client.get(ticket.get_absolute_url())
    kinds = [i["kind"] for i in response.context["timeline"]]
    assert kinds == ["event", "event", "comment"]
    html = response.content.decode()
    assert "&lt;b&gt;已联系&lt;/b&gt;客户" in html and "<b>已联系" not in html


def test_resolve_without_resolution_shows_the_error_next_to_the_field(
    client, users, queue
):
    ticket = queue["mine"]
    ticket = services.ticket_transition(
        actor=users["service"], ticket=ticket, action="start", expected_version=1
    )
    client_for(client, users["service"])
    url = reverse("tickets:ticket_transition", args=[ticket.ticket_no])
    response = client.post(
        url, {"action": "resolve", "version": ticket.version, "resolution": " "}
    )
    assert response.status_code == 200
    form = response.context["resolve_form"]
    assert form.errors["resolution"]
    assert '<details class="step-form" id="resolve" open>' in (
        response.content.decode()
    )
    assert Ticket.objects.get(pk=ticket.pk).status == S.IN_PROGRESS


def test_illegal_transition_posted_is_refused_with_a_message(client, users, queue):
    ticket = queue["mine"]
    client_for(client, users["service"])
    url = reverse("tickets:ticket_transition", args=[ticket.ticket_no])
    response = client.post(
        url, {"action": "close", "version": ticket.version, "satisfaction": "5"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    texts = [str(m) for m in page.context["messages"]]
    assert len(texts) == 1 and "新建" in texts[0]
    assert Ticket.objects.get(pk=ticket.pk).status == S.NEW


def test_a_stale_transition_is_refused(client, users, queue):
    ticket = queue["mine"]
    client_for(client, users["service"])
    url = reverse("tickets:ticket_transition", args=[ticket.ticket_no])
    client.post(url, {"action": "start", "version": ticket.version})
    client.post(url, {"action": "wait", "version": ticket.version + 1})
    response = client.post(url, {"action": "resume", "version": ticket.version + 1})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == S.WAITING


def test_comment_with_htmx_returns_the_timeline(client, users, queue):
    ticket = queue["mine"]
    client_for(client, users["service"])
    url = reverse("tickets:ticket_comment", args=[ticket.ticket_no])
    response = client.post(url, {"body": "已回电"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="ticket-timeline"' in html and "已回电" in html
    response = client.post(url, {"body": ""}, headers={"HX-Request": "true"})
    assert 'class="error"' in response.content.decode()
    # Without JS: back to the page at the timeline.
    response = client.post(url, {"body": "再次回电"})
    assert response["Location"].endswith("#timeline")
    assert ticket.comments.count() == 2


def test_assign_form(client, users, queue):
    ticket = queue["pool"]
    client_for(client, users["service"])
    url = reverse("tickets:ticket_assign", args=[ticket.ticket_no])
    response = client.post(
        url, {"assignee": users["success"].pk, "version": ticket.version}
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).assignee == users["success"]
    response = client.post(url, {"assignee": "999999", "version": ticket.version})
    assert response.context["assign_form"].errors["assignee"]


def test_create_from_the_customer_page(client, users, rep1_customer):
    contact = rep1_customer.contacts.get()
    client_for(client, users["service"])
    url = reverse("tickets:ticket_create") + f"?customer={rep1_customer.customer_no}"
    response = client.get(url)
    assert response.context["form"]["customer"].value() == rep1_customer.customer_no
    assert list(response.context["form"].fields["contact"].queryset) == [contact]
    response = client.post(
        url,
        {
            "customer": rep1_customer.customer_no.lower(),
            "subject": "<script>alert(1)</script>打印机故障",
            "kind": "request",
            "priority": "high",
            "contact": contact.pk,
            "description": "需要上门",
            "assignee": users["rep1"].pk,
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == ticket.get_absolute_url()
    assert (ticket.customer, ticket.contact, ticket.assignee) == (
        rep1_customer,
        contact,
        users["rep1"],
    )
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;打印机故障" in html


def test_create_refuses_bad_input_next_to_the_fields(client, users, rep1_customer):
    client_for(client, users["service"])
    response = client.post(
        reverse("tickets:ticket_create"),
        {"customer": "C19990101001", "subject": "", "kind": "x", "priority": "low"},
    )
    form = response.context["form"]
    assert set(form.errors) >= {"customer", "subject", "kind", "description"}
    assert not Ticket.objects.exists()


def test_edit_changes_priority_and_due(client, users, queue):
    ticket = queue["pool"]
    client_for(client, users["service"])
    url = reverse("tickets:ticket_update", args=[ticket.ticket_no])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "subject": "改过的主题",
            "kind": "question",
            "priority": "urgent",
            "contact": "",
            "description": ticket.description,
            "version": ticket.version,
        },
    )
    assert response.status_code == 302
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.subject == "改过的主题"
    assert stored.due_at == stored.created_at + timedelta(hours=4)


def test_customer_card_lists_open_tickets_first(client, users, queue, rep1_customer):
    client_for(client, users["service"])
    response = client.get(rep1_customer.get_absolute_url())
    html = response.content.decode()
    assert 'id="section-tickets"' in html
    assert html.index("我的超期工单") < html.index("请销售协助")
    assert f"?customer={rep1_customer.customer_no}" in html  # 新建工单
    client_for(client, users["rep1"])
    html = client.get(rep1_customer.get_absolute_url()).content.decode()
    assert "我的超期工单" in html and 'id="new-ticket"' not in html


def test_workbench_panel(client, users, queue):
    client_for(client, users["service"])
    html = client.get("/").content.decode()
    assert 'id="panel-tickets"' in html and "我的超期工单" in html
    data = next(
        p["data"]
        for p in client.get("/").context["panels"]
        if p["name"] == "tickets.queue"
    )
    assert (data["mine_count"], data["unassigned_count"], data["overdue_count"]) == (
        1,
        1,
        1,
    )
    # Pulled in: rep2 gets their queue, without the team's counts.
    client_for(client, users["rep2"])
    response = client.get("/")
    data = next(
        p["data"] for p in response.context["panels"] if p["name"] == "tickets.queue"
    )
    assert [t.ticket_no for t in data["rows"]] == [queue["pulled"].ticket_no]
    assert "unassigned_count" not in data
    # Neither working tickets nor holding any: no panel.
    client_for(client, users["manager"])
    names = [p["name"] for p in client.get("/").context["panels"]]
    assert "tickets.queue" not in names


def test_tab_counts_follow_the_other_filters(client, users, queue):
    client_for(client, users["service"])
    response = client.get(QUEUE, {"tab": "all", "kind": "question"})
    counts = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert counts == {"mine": 0, "unassigned": 1, "overdue": 0, "all": None}
    links = {t["key"]: t["url"] for t in response.context["tabs"]}
    assert links["mine"] == "?tab=mine&kind=question"


def test_a_stale_edit_is_merged_not_saved(client, users, queue):
    ticket = queue["pool"]
    services.ticket_update(
        actor=users["admin"],
        ticket=ticket,
        data={"description": "管理员补充了描述"},
        expected_version=ticket.version,
    )
    client_for(client, users["service"])
    response = client.post(
        reverse("tickets:ticket_update", args=[ticket.ticket_no]),
        {
            "subject": "客服改的主题",
            "kind": "question",
            "priority": "medium",
            "contact": "",
            "description": ticket.description,
            "version": ticket.version,
        },
    )
    assert response.status_code == 200 and response.context["stale_entries"]
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.subject, stored.description) == ("待分配咨询", "管理员补充了描述")
