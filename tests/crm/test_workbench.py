"""The workbench per role: which panels each role gets, and their exact figures."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation

from crm import permissions, roles
from customers import services
from customers.models import Customer
from tests.factories import client_for, make_customer, make_user

PANELS = {
    "admin": [
        "reports.dashboard",
        "reports.target_progress",
        "customers.team",
        "opportunities.forecast",
        "tickets.queue",
    ],
    "manager": [
        "reports.dashboard",
        "reports.target_progress",
        "customers.team",
        "opportunities.forecast",
    ],
    "rep1": [
        "reports.target_progress",
        "followups.agenda",
        "opportunities.mine",
        "customers.mine",
        "customers.renewals",
    ],
    "success": ["followups.agenda", "customers.managed", "customers.renewals"],
    "service": ["tickets.queue", "customers.lookup"],
}


def panels(response) -> dict:
    return {p["name"]: p["data"] for p in response.context["panels"]}


def counts(status_counts) -> dict:
    return {value: n for value, _label, n in status_counts}


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def team(users):
    """rep1 owns three live customers and rep2 two; one of rep2's was created
    last month; a deleted customer of rep1 counts nowhere."""
    rep1, rep2 = users["rep1"], users["rep2"]
    make_customer(rep1, name="甲公司", renewal_date=days(10))
    make_customer(rep1, name="乙公司", status="active", renewal_date=days(0))
    make_customer(
        rep1, name="丙公司", success_manager=users["success"], renewal_date=days(70)
    )
    make_customer(rep2, name="丁公司", status="lost", renewal_date=days(-1))
    old = make_customer(rep2, name="戊公司", renewal_date=days(59))
    last_month = timezone.now() - datetime.timedelta(days=40)
    Customer.objects.filter(pk=old.pk).update(created_at=last_month)
    gone = make_customer(rep1, name="己公司", renewal_date=days(5))
    services.customer_delete(actor=rep1, customer=gone)
    return users


@pytest.mark.parametrize("role", sorted(PANELS))
def test_each_role_gets_its_panels(client, team, role):
    response = client_for(client, team[role]).get("/")
    assert [p["name"] for p in response.context["panels"]] == PANELS[role]


def test_a_manager_who_owns_customers_also_sees_them(client, users):
    make_customer(users["manager"], name="经理自己的公司")
    response = client_for(client, users["manager"]).get("/")
    assert [p["name"] for p in response.context["panels"]] == [
        "reports.dashboard",
        "reports.target_progress",
        "customers.team",
        "opportunities.forecast",
        "customers.mine",
    ]


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_team_figures_are_exact(client, team, role):
    response = client_for(client, team[role]).get("/")
    data = panels(response)["customers.team"]

    assert counts(data["status_counts"]) == {"potential": 3, "active": 1, "lost": 1}
    assert data["new_this_month"] == 4
    # In [today, today + 60 days], soonest first; not yesterday's, not day 70,
    # not the deleted one.
    assert data["renewals_count"] == 3
    assert [c.name for c in data["renewals"]] == ["乙公司", "甲公司", "戊公司"]
    assert [c.days_left for c in data["renewals"]] == [0, 10, 59]
    owners = [(r.user.username, r.customers, r.new_this_month) for r in data["owners"]]
    assert owners == [("rep1", 3, 3), ("rep2", 2, 1)]

    page = response.content.decode()
    assert '/customers/?status=potential"' in page
    assert f'/customers/?owner={team["rep1"].pk}"' in page


def test_team_counts_stop_at_the_list_cap(client, team, settings):
    settings.CRM_LIST_COUNT_CAP = 2
    response = client_for(client, team["admin"]).get("/")
    data = panels(response)["customers.team"]
    # cap + 1 means "more than the cap", shown as "2+".
    assert counts(data["status_counts"]) == {"potential": 3, "active": 1, "lost": 1}
    assert data["new_this_month"] == 3
    assert data["renewals_count"] == 3
    assert response.content.decode().count("2+") == 3


def test_team_figures_follow_what_the_viewer_may_see(client, team):
    # A role that may reassign but sees customers only through shares (a
    # custom role an admin made) gets figures over those customers alone.
    from django.contrib.auth.models import Permission

    lead = make_user("lead", None)
    lead.user_permissions.add(Permission.objects.get(codename="reassign_customer"))
    permissions.grant(lead, Customer.objects.get(name="甲公司"), ["view"])
    data = panels(client_for(client, lead).get("/"))["customers.team"]
    assert counts(data["status_counts"]) == {"potential": 1, "active": 0, "lost": 0}
    assert [(r.user.username, r.customers) for r in data["owners"]] == [("rep1", 1)]


def test_a_rep_sees_own_customers_and_own_renewals(client, team):
    data = panels(client_for(client, team["rep1"]).get("/"))
    assert counts(data["customers.mine"]["status_counts"]) == {
        "potential": 2,
        "active": 1,
        "lost": 0,
    }
    assert [c.name for c in data["customers.renewals"]["renewals"]] == [
        "乙公司",
        "甲公司",
    ]


def test_success_sees_the_accounts_they_manage_and_their_renewals(client, team):
    make_customer(
        team["rep2"],
        name="庚公司",
        status="active",
        success_manager=team["success"],
        renewal_date=days(30),
    )
    data = panels(client_for(client, team["success"]).get("/"))
    managed = data["customers.managed"]
    assert counts(managed["status_counts"]) == {"potential": 1, "active": 1, "lost": 0}
    assert managed["total"] == 2
    assert {c.name for c in managed["recent"]} == {"丙公司", "庚公司"}
    # 丙公司 renews in 70 days: outside the window.
    assert [c.name for c in data["customers.renewals"]["renewals"]] == ["庚公司"]


def test_service_gets_a_search_and_recent_customers_not_an_empty_my_customers(
    client, team
):
    response = client_for(client, team["service"]).get("/")
    data = panels(response)["customers.lookup"]
    assert data["visible_count"] == 5
    assert [c.name for c in data["recent"]][:1] == ["戊公司"]
    assert "己公司" not in [c.name for c in data["recent"]]
    page = response.content.decode()
    assert 'action="/customers/"' in page and 'name="q"' in page


def test_the_date_is_shown_once_in_the_readers_format(client, team):
    response = client_for(client, team["rep1"]).get("/")
    page = response.content.decode()
    renewal = days(10)
    with translation.override("zh-hans"):
        shown = formats.date_format(renewal, "DATE_FORMAT")
    assert shown == f"{renewal.year}年{renewal.month}月{renewal.day}日"
    assert page.count(shown) == 1
    assert renewal.isoformat() + " " not in page
    today = timezone.localdate()
    assert page.count(f'<time datetime="{today.isoformat()}">') == 2  # top, 乙公司


def _queries(client, user) -> int:
    client.get("/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", sorted(PANELS))
def test_queries_do_not_grow_with_customers_or_owners(client, users, role):
    make_customer(users["rep1"], success_manager=users["success"], renewal_date=days(3))
    c = client_for(client, users[role])
    few = _queries(c, users[role])
    # More rows, statuses, renewals and owners (the manager's panel of their
    # own customers is another matter: they own none here).
    owners = [users["rep1"], users["rep2"], make_user("rep3", roles.SALES_REP)]
    for owner in owners:
        for i in range(4):
            make_customer(
                owner,
                success_manager=users["success"],
                renewal_date=days(i),
                status=("potential", "active", "lost")[i % 3],
            )
    assert _queries(c, users[role]) == few


# Today's counts of a warm request (session, user and permissions included).
# +1 for roles that log follow-ups: the agenda panel's plans (one query); +1
# more for customer success, whose group-share check of customers (cached per
# request) no customer panel of theirs had made before.
# The ticket queue panel: +1 for everyone (my assigned tickets), +1 more for
# roles that work every ticket (the unassigned/overdue counts, one query).
# The opportunity panels add the forecast (managers, admins: 2 queries) and
# "my open deals" (reps: 1).
# The managers' dashboard adds five queries (one per source, both months at
# once) and the target panel one lookup for those who take on deals.
WORKBENCH_BUDGET = {"admin": 24, "manager": 23, "rep1": 14, "service": 9, "success": 11}


@pytest.mark.parametrize("role", sorted(WORKBENCH_BUDGET))
def test_workbench_stays_within_budget(client, team, role):
    assert (
        _queries(client_for(client, team[role]), team[role]) <= WORKBENCH_BUDGET[role]
    )
