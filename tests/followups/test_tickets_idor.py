"""Tickets a user may not see stay unseen on every path: ids, search, filters,
tab counts, htmx fragments and forged ids in forms."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import Ticket
from tests import factories
from tests.factories import client_for


@pytest.fixture
def secret(users, rep1_customer):
    """rep1's customer's overdue complaint; rep2 may not see it."""
    return factories.make_ticket(
        users["service"],
        rep1_customer,
        subject="机密投诉",
        priority="urgent",
        created_at=timezone.now() - timedelta(hours=8),
        contact=rep1_customer.contacts.get(),
    )


@pytest.mark.parametrize(
    "name, method",
    [
        ("tickets:ticket_detail", "get"),
        ("tickets:ticket_update", "get"),
        ("tickets:ticket_update", "post"),
        ("tickets:ticket_transition", "post"),
        ("tickets:ticket_assign", "post"),
        ("tickets:ticket_comment", "post"),
    ],
)
def test_a_hidden_ticket_is_a_404_on_every_url(client, users, secret, name, method):
    client_for(client, users["rep2"])
    url = reverse(name, args=[secret.ticket_no])
    data = {
        "action": "start",
        "version": secret.version,
        "body": "偷看",
        "assignee": users["rep2"].pk,
        "subject": "改",
    }
    response = getattr(client, method)(url, data if method == "post" else None)
    assert response.status_code == 404
    stored = Ticket.objects.get(pk=secret.pk)
    assert (stored.status, stored.assignee, stored.subject) == ("new", None, "机密投诉")
    assert not stored.comments.exists()


def test_an_unknown_ticket_is_a_404_too(client, users):
    client_for(client, users["service"])
    assert client.get("/tickets/S19990101001/").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"q": "机密"},
        {"q": "ticket_no"},
        {"customer": "customer_no"},
        {"tab": "overdue"},
        {"priority": "urgent"},
    ],
)
def test_search_filters_and_htmx_results_do_not_leak(client, users, secret, params):
    params = dict(params)
    if params.get("q") == "ticket_no":
        params["q"] = secret.ticket_no
    if params.get("customer") == "customer_no":
        params["customer"] = secret.customer.customer_no
    client_for(client, users["rep2"])
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/tickets/", params, headers=headers)
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []
        assert "机密投诉" not in response.content.decode()
    # The tab counts count only what rep2 may see.
    tabs = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert tabs["overdue"] == 0 and tabs["unassigned"] == 0


def test_the_same_search_finds_it_for_those_who_may_see_it(client, users, secret):
    client_for(client, users["rep1"])
    response = client.get("/tickets/", {"q": secret.ticket_no})
    assert [t.pk for t in response.context["object_list"]] == [secret.pk]


def test_create_for_an_unknown_customer(client, users):
    # The roles that open tickets see every customer, so a customer they
    # cannot see is a missing one: a 404 for the page, an error on the form.
    client_for(client, users["service"])
    url = reverse("tickets:ticket_create")
    assert client.get(url, {"customer": "C19990101001"}).status_code == 404
    response = client.post(
        url,
        {
            "customer": "C19990101001",
            "subject": "x",
            "kind": "question",
            "priority": "low",
            "description": "x",
        },
    )
    assert "customer" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_create_with_a_forged_contact_of_another_customer(
    client, users, rep1_customer, rep2_customer
):
    client_for(client, users["service"])
    response = client.post(
        reverse("tickets:ticket_create"),
        {
            "customer": rep1_customer.customer_no,
            "subject": "伪造联系人",
            "kind": "question",
            "priority": "low",
            "description": "x",
            "contact": rep2_customer.contacts.get().pk,
        },
    )
    assert response.status_code == 200
    assert "contact" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_edit_with_a_forged_contact_of_another_customer(
    client, users, secret, rep2_customer
):
    client_for(client, users["service"])
    response = client.post(
        reverse("tickets:ticket_update", args=[secret.ticket_no]),
        {
            "subject": "机密投诉",
            "kind": "complaint",
            "priority": "urgent",
            "description": secret.description,
            "contact": rep2_customer.contacts.get().pk,
            "version": secret.version,
        },
    )
    assert "contact" in response.context["form"].errors
    assert Ticket.objects.get(pk=secret.pk).contact == secret.contact


def test_comment_by_a_user_who_may_only_view_is_a_403(client, users, secret):
    for role in ("rep1", "manager"):
        client_for(client, users[role])
        url = reverse("tickets:ticket_comment", args=[secret.ticket_no])
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(url, {"body": "看看"}, headers=headers)
            assert response.status_code == 403
    assert not secret.comments.exists()


def test_transition_and_assign_by_a_role_that_may_not_change(client, users, secret):
    for role in ("manager", "rep1"):
        client_for(client, users[role])
        transition = reverse("tickets:ticket_transition", args=[secret.ticket_no])
        response = client.post(transition, {"action": "start", "version": 1})
        assert response.status_code == 403
        assign = reverse("tickets:ticket_assign", args=[secret.ticket_no])
        response = client.post(assign, {"assignee": users[role].pk, "version": 1})
        assert response.status_code == 403
    stored = Ticket.objects.get(pk=secret.pk)
    assert (stored.status, stored.assignee) == ("new", None)


def test_assigning_an_inactive_user_is_refused(client, users, secret):
    gone = factories.make_user("gone", None)
    gone.is_active = False
    gone.save()
    client_for(client, users["service"])
    response = client.post(
        reverse("tickets:ticket_assign", args=[secret.ticket_no]),
        {"assignee": gone.pk, "version": secret.version},
    )
    assert "assignee" in response.context["assign_form"].errors
    assert Ticket.objects.get(pk=secret.pk).assignee is None


def test_the_customer_card_shows_only_visible_tickets(
    client, users, secret, rep1_customer
):
    # rep2 pulled into one ticket of rep1's customer still cannot open the
    # customer page, and the ticket page does not link it.
    ticket = factories.make_ticket(
        users["service"], rep1_customer, assignee=users["rep2"], subject="协助"
    )
    client_for(client, users["rep2"])
    assert client.get(rep1_customer.get_absolute_url()).status_code == 404
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert rep1_customer.get_absolute_url() not in html
    response = client.get("/tickets/")
    assert [t.pk for t in response.context["object_list"]] == [ticket.pk]
