"""The private iCalendar feed: the token is the credential, the text is RFC 5545."""

import datetime
import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups import calendar
from followups.models import CalendarToken
from tests.factories import client_for, make_followup


@pytest.fixture
def rep1_plan(users, rep1_customer):
    rep1 = users["rep1"]
    return make_followup(
        rep1,
        rep1_customer,
        next_at=timezone.now() + datetime.timedelta(days=1),
        next_owner=rep1,
        next_goal="<script>alert(1)</script>\n第二行; 价格, 折扣\\",
    )


def feed(token: str):
    return Client().get(reverse("followups:calendar_feed", args=[token]))


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


def test_a_user_creates_their_feed_and_a_calendar_reads_it(client, users, rep1_plan):
    c = client_for(client, users["rep1"])
    assert c.get(reverse("followups:agenda")).context["feed_url"] == ""
    c.post(reverse("followups:calendar_token"), {"action": "regenerate"})
    token = CalendarToken.objects.get(user=users["rep1"]).token
    assert len(token) >= 40
    page = c.get(reverse("followups:agenda"))
    assert page.context["feed_url"].endswith(f"/followups/calendar/{token}.ics")
    # A calendar app, not logged in, reads it
    response = feed(token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    body = unfold(text)
    assert f"UID:followup-plan-{rep1_plan.pk}@testserver" in body
    start = rep1_plan.next_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in body
    # Escaped as TEXT: newline, semicolon, comma, backslash; markup stays text
    assert "<script>alert(1)</script>\\n第二行\\; 价格\\, 折扣\\\\" in body
    assert "\n第二行" not in body


def test_lines_are_folded_at_75_octets_without_splitting_characters(
    users, rep1_customer
):
    rep1 = users["rep1"]
    make_followup(
        rep1,
        rep1_customer,
        next_at=timezone.now() + datetime.timedelta(hours=3),
        next_owner=rep1,
        next_goal="确认" * 90,
    )
    text = calendar.render_feed(rep1, base_url="https://crm.example/")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    assert "确认" * 90 in unfold(text)


def test_regenerate_and_revoke_make_the_old_link_404(client, users, rep1_plan):
    c = client_for(client, users["rep1"])
    c.post(reverse("followups:calendar_token"), {"action": "regenerate"})
    old = CalendarToken.objects.get(user=users["rep1"]).token
    c.post(reverse("followups:calendar_token"), {"action": "regenerate"})
    new = CalendarToken.objects.get(user=users["rep1"]).token
    assert old != new
    assert feed(old).status_code == 404
    assert feed(new).status_code == 200
    c.post(reverse("followups:calendar_token"), {"action": "revoke"})
    assert feed(new).status_code == 404
    assert not CalendarToken.objects.exists()


def test_each_feed_holds_only_its_owners_plans(client, users, rep1_plan, rep2_customer):
    rep2 = users["rep2"]
    theirs = make_followup(
        rep2,
        rep2_customer,
        next_at=timezone.now() + datetime.timedelta(days=1),
        next_owner=rep2,
        next_goal="rep2 的计划",
    )
    token = calendar.calendar_token_regenerate(user=rep2).token
    text = feed(token).content.decode()
    assert f"followup-plan-{theirs.pk}@" in text
    assert f"followup-plan-{rep1_plan.pk}@" not in text
    # rep2, logged in, cannot reach rep1's feed except by its token, which
    # neither the agenda page nor the token form reveals or accepts
    rep1_token = calendar.calendar_token_regenerate(user=users["rep1"]).token
    c = client_for(client, rep2)
    assert rep1_token not in c.get(reverse("followups:agenda")).content.decode()
    c.post(
        reverse("followups:calendar_token"),
        {"action": "revoke", "user": users["rep1"].pk},
    )
    assert CalendarToken.objects.filter(user=users["rep1"], token=rep1_token).exists()


@pytest.mark.parametrize(
    "token", ["", "x", "a" * 43, "A" * 64, "%00", "../agenda"], ids=str
)
def test_wrong_tokens_are_404(db, users, token):
    calendar.calendar_token_regenerate(user=users["rep1"])
    assert calendar.user_for_token(token) is None


def test_a_wrong_token_is_a_404_that_logs_no_token(users, caplog):
    secret = calendar.calendar_token_regenerate(user=users["rep1"]).token
    guess = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    # Even where the server logs every 4xx with its path (Django's default;
    # this project's settings only log errors)
    request_log = logging.getLogger("django.request")
    propagate, request_log.propagate = request_log.propagate, True
    try:
        with (
            caplog.at_level(logging.DEBUG),
            caplog.at_level(logging.DEBUG, logger="django.request"),
        ):
            response = feed(guess)
            feed("not-a-token")
    finally:
        request_log.propagate = propagate
    assert "not-a-token" not in caplog.text
    assert response.status_code == 404
    assert guess not in caplog.text and secret not in caplog.text


def test_a_deactivated_users_feed_is_gone(users, rep1_plan):
    token = calendar.calendar_token_regenerate(user=users["rep1"]).token
    users["rep1"].is_active = False
    users["rep1"].save()
    assert feed(token).status_code == 404


def test_done_plans_leave_the_feed(users, rep1_plan):
    from followups import services

    token = calendar.calendar_token_regenerate(user=users["rep1"]).token
    services.followup_complete_plan(actor=users["rep1"], followup=rep1_plan)
    assert "BEGIN:VEVENT" not in feed(token).content.decode()
