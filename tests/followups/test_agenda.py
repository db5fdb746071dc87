"""The agenda: my open plans overdue, due today and in the next 7 days, by the
local date in Asia/Shanghai whatever the server's own time zone; the panel,
the nav count, "Done" and "log this follow-up"."""

import datetime
import os
import time
import zoneinfo
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.registry import registry
from followups import panels, selectors
from followups.models import FollowUp
from tests.factories import client_for, make_followup

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A time on 2026-03-<day> in Shanghai."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def server_in_new_york():
    """The server's OS clock in another zone (Django's own stays Shanghai)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def plan(users, customer, next_at, goal=""):
    rep1 = users["rep1"]
    with mock.patch("django.utils.timezone.now", return_value=at(1, 9)):
        return make_followup(
            rep1,
            customer,
            occurred_at=at(1, 9),
            next_at=next_at,
            next_owner=rep1,
            next_goal=goal,
        )


def buckets(user, now) -> dict[str, list[str]]:
    agenda = selectors.agenda(user, now=now)
    return {key: [p.next_goal for p in plans] for key, plans in agenda.sections}


@pytest.fixture
def around_midnight(users, rep1_customer):
    # Plans at 23:30 on the 9th, 00:30 and 23:30 on the 10th, 00:30 on the 11th
    for when, goal in [
        (at(10, 23, 30), "C 10th late"),
        (at(9, 23, 30), "A 9th late"),
        (at(11, 0, 30), "D 11th early"),
        (at(10, 0, 30), "B 10th early"),
        (at(18, 0, 30), "E beyond a week"),
    ]:
        plan(users, rep1_customer, when, goal)


@pytest.mark.usefixtures("server_in_new_york", "around_midnight")
def test_just_after_midnight_the_new_day_is_today(users):
    # 00:10 on the 10th in Shanghai is still the 9th in UTC and in New York
    result = buckets(users["rep1"], at(10, 0, 10))
    assert result == {
        "overdue": ["A 9th late"],
        "today": ["B 10th early", "C 10th late"],
        "upcoming": ["D 11th early"],
    }


@pytest.mark.usefixtures("server_in_new_york", "around_midnight")
def test_just_before_midnight_the_next_day_is_not_today(users):
    result = buckets(users["rep1"], at(10, 23, 50))
    assert result == {
        "overdue": ["A 9th late", "B 10th early", "C 10th late"],
        "today": [],
        "upcoming": ["D 11th early"],
    }
    assert selectors.due_count(users["rep1"], now=at(10, 23, 50)) == 3
    assert selectors.due_count(users["rep1"], now=at(10, 0, 10)) == 3


@pytest.mark.usefixtures("server_in_new_york", "around_midnight")
def test_the_page_uses_the_frozen_local_clock(client, users):
    with mock.patch("django.utils.timezone.now", return_value=at(10, 0, 10)):
        response = client_for(client, users["rep1"]).get(reverse("followups:agenda"))
    agenda = response.context["agenda"]
    assert agenda.today == datetime.date(2026, 3, 10)
    assert [p.next_goal for p in agenda.due_today] == ["B 10th early", "C 10th late"]
    assert [p.overdue_days for p in agenda.overdue] == [1]


def test_only_my_open_plans_on_customers_i_see(users, rep1_customer, rep2_customer):
    now = timezone.now()
    rep1, rep2 = users["rep1"], users["rep2"]
    mine = make_followup(
        rep1, rep1_customer, next_at=now + datetime.timedelta(hours=1), next_owner=rep1
    )
    make_followup(
        rep2, rep2_customer, next_at=now + datetime.timedelta(hours=1), next_owner=rep2
    )
    done = make_followup(
        rep1, rep1_customer, next_at=now + datetime.timedelta(hours=2), next_owner=rep1
    )
    FollowUp.objects.filter(pk=done.pk).update(next_done=True)
    listed = [p.pk for _key, plans in selectors.agenda(rep1).sections for p in plans]
    assert listed == [mine.pk]
    # rep1's customer goes to rep2: the plan leaves rep1's agenda with it
    rep1_customer.__class__.objects.filter(pk=rep1_customer.pk).update(owner=rep2)
    assert selectors.agenda(rep1).count == 0


def test_done_from_the_agenda(client, users, rep1_customer):
    rep1 = users["rep1"]
    p = make_followup(
        rep1,
        rep1_customer,
        next_at=timezone.now() - datetime.timedelta(hours=1),
        next_owner=rep1,
    )
    c = client_for(client, rep1)
    agenda = reverse("followups:agenda")
    url = reverse("followups:followup_complete", args=[p.record_no])
    response = c.post(url, {"next": agenda})
    assert response["Location"] == agenda
    assert FollowUp.objects.get(pk=p.pk).next_done
    # Off-site `next` is ignored
    other = make_followup(rep1, rep1_customer, next_at=timezone.now(), next_owner=rep1)
    url = reverse("followups:followup_complete", args=[other.record_no])
    assert c.post(url, {"next": "https://evil.example/"})["Location"] == agenda


def test_log_this_follow_up_from_the_agenda(client, users, rep1_customer):
    rep1 = users["rep1"]
    p = make_followup(
        rep1,
        rep1_customer,
        method="email",
        next_at=timezone.now() + datetime.timedelta(hours=1),
        next_owner=rep1,
        next_goal="确认报价",
    )
    c = client_for(client, rep1)
    url = reverse("followups:followup_create") + f"?plan={p.record_no}&next=/"
    form = c.get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["customer"] == rep1_customer.customer_no
    assert "确认报价" in form.content.decode()
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        url,
        {
            "customer": rep1_customer.customer_no,
            "method": "phone",
            "occurred_at": now,
            "content": "已电话确认报价",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert FollowUp.objects.get(pk=p.pk).next_done
    assert FollowUp.objects.filter(content="已电话确认报价").exists()


def test_another_users_plan_cannot_be_logged_or_completed(client, users, rep1_customer):
    rep1 = users["rep1"]
    p = make_followup(rep1, rep1_customer, next_at=timezone.now(), next_owner=rep1)
    create = reverse("followups:followup_create") + f"?plan={p.record_no}"
    done = reverse("followups:followup_complete", args=[p.record_no])
    assert client_for(client, users["rep2"]).get(create).status_code == 404
    assert client_for(client, users["rep2"]).post(done).status_code == 404
    assert client_for(client, users["service"]).get(create).status_code == 403
    assert client_for(client, users["service"]).post(done).status_code == 403
    assert not FollowUp.objects.get(pk=p.pk).next_done


def test_the_panel_and_the_nav_badge(client, users, rep1_customer):
    rep1 = users["rep1"]
    now = timezone.now()
    make_followup(
        rep1, rep1_customer, next_at=now - datetime.timedelta(hours=1), next_owner=rep1
    )
    response = client_for(client, rep1).get("/")
    data = {p["name"]: p["data"] for p in response.context["panels"]}
    assert data["followups.agenda"]["overdue"] == 1
    item = next(i for i in registry.nav if i.url_name == "followups:agenda")
    assert item.badge(rep1) == 1
    assert item.badge(users["service"]) == 0
    assert not item.visible(users["service"])
    # The admin, with nothing planned, gets no empty agenda panel
    admin_page = client_for(client, users["admin"]).get("/")
    assert "followups.agenda" not in [p["name"] for p in admin_page.context["panels"]]
    assert panels.agenda_badge(users["admin"]) == 0
