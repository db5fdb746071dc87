"""The action lists (DESIGN §7): high-potential customers rarely followed,
stalled opportunities and renewal risk, as of a day (default today).

Given customers, deals, follow-ups and tickets written through the services
at instants around the thresholds' edges (29/30/31 days before the as-of
date, 23:30 and 00:10 Shanghai time, renewal at +60/+61 days), a viewer sees
exactly the rows a user would act on, only among what they may see; a past
as-of date gives the lists as the history says they were then."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import permissions
from customers.models import Tag
from followups import services as followup_services
from followups import ticket_services
from opportunities import services as opportunity_services
from opportunities.models import Opportunity, Stage
from reports.filters import ReportFilters, local_midnight
from reports.models import Report
from reports.queries import actions
from tests.factories import client_for, make_customer, make_followup, make_ticket

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
LONG_AGO = 400  # days: when the customers of these tests were created
LOG_URL = reverse("followups:followup_create")


@pytest.fixture
def today():
    return timezone.localdate()


def day(today, offset: int) -> datetime.date:
    return today + datetime.timedelta(days=offset)


def moment(today, offset: int, hour: int = 10, minute: int = 0):
    """`offset` days from today at hour:minute, Shanghai time."""
    return datetime.datetime.combine(
        day(today, offset), datetime.time(hour, minute), tzinfo=SHANGHAI
    )


def customer(owner, today, **data):
    data.setdefault("created_at", moment(today, -LONG_AGO))
    return make_customer(owner, **data)


def followed(actor, customer, when, opportunity=None):
    return make_followup(actor, customer, occurred_at=when, opportunity=opportunity)


def deal(owner, customer, created, stage=Stage.LEAD):
    return opportunity_services.opportunity_create(
        actor=owner,
        customer=customer,
        data={"name": f"{customer.name}的项目", "amount": "50000.00"},
        stage=stage,
        created_at=created,
    )


def move(owner, opportunity, stage, when):
    opportunity.refresh_from_db()
    return opportunity_services.opportunity_move(
        actor=owner,
        opportunity=opportunity,
        stage=stage,
        expected_version=opportunity.version,
        at=when,
    )


def lose(owner, opportunity, when):
    opportunity.refresh_from_db()
    return opportunity_services.opportunity_lose(
        actor=owner,
        opportunity=opportunity,
        reason="预算取消",
        expected_version=opportunity.version,
        at=when,
    )


def ticket_move(ticket, actor, action, when, **extra):
    return ticket_services.ticket_transition(
        actor=actor,
        ticket=ticket,
        action=action,
        expected_version=ticket.version,
        at=when,
        **extra,
    )


def resolved(ticket, actor, when):
    started = ticket_move(ticket, actor, "start", when)
    return ticket_move(started, actor, "resolve", when, resolution="已处理")


def closed(ticket, actor, when, score):
    return ticket_move(ticket, actor, "close", when, satisfaction=score)


def as_of(when, **extra) -> ReportFilters:
    return ReportFilters(as_of=when, **extra)


def rows(result, key) -> list[dict]:
    return result.table(key).rows


def column(result, key, name) -> list:
    return [r[name] for r in rows(result, key)]


def figures(result) -> dict:
    return {str(label): value for label, value, _kind in result.figures}


def high_potential_tag():
    return Tag.objects.get(name="高潜力客户")


# -- high potential, rarely followed ----------------------------------------


@pytest.fixture
def potential(users, today):
    """rep1's customers around the 30-day edge (see each line)."""
    rep1 = users["rep1"]
    made = {}
    # Level A, last followed at 00:10, 29 days before today: followed.
    made["a29"] = customer(rep1, today, name="二十九天公司", level="A")
    followed(rep1, made["a29"], moment(today, -29, 0, 10))
    # Level A, last followed at 23:30, 30 days before: not in the 30 days.
    made["a30"] = customer(rep1, today, name="三十天公司", level="A")
    followed(rep1, made["a30"], moment(today, -30, 23, 30))
    # Tagged 高潜力客户 (level C), last followed 31 days before.
    made["tag31"] = customer(
        rep1, today, name="三十一天公司", tags=[high_potential_tag()]
    )
    followed(rep1, made["tag31"], moment(today, -31))
    # Level A, never followed.
    made["never"] = customer(rep1, today, name="从未跟进公司", level="A")
    # Level B, untagged, never followed: not high potential.
    made["plain"] = customer(rep1, today, name="普通公司", level="B")
    # Level A, followed 60 and 5 days before today.
    made["recent"] = customer(rep1, today, name="最近跟进公司", level="A")
    followed(rep1, made["recent"], moment(today, -60))
    followed(rep1, made["recent"], moment(today, -5))
    # Level A, its only recent follow-up deleted: a deleted one does not count.
    made["deleted"] = customer(rep1, today, name="删除跟进公司", level="A")
    followed(rep1, made["deleted"], moment(today, -40))
    gone = followed(rep1, made["deleted"], moment(today, -2))
    followup_services.followup_delete(actor=users["manager"], followup=gone)
    return made


def test_high_potential_customers_not_followed_in_30_days(users, today, potential):
    # When rep1 opens the action lists today
    result = actions.build(users["rep1"], as_of(today))

    # Then the never-followed one first, then the longest unfollowed; 29
    # days ago is within the 30 days, 30 days ago is not.
    p = potential
    assert rows(result, "high_potential") == [
        {
            "customer_no": c.customer_no,
            "name": c.name,
            "url": c.get_absolute_url(),
            "owner": "rep1",
            "level": level,
            "last_followup": last,
            "log": "记录跟进",
            "log_url": f"{LOG_URL}?customer={c.customer_no}",
        }
        for c, level, last in [
            (p["never"], "A", None),
            (p["deleted"], "A", day(today, -40)),
            (p["tag31"], "C", day(today, -31)),
            (p["a30"], "A", day(today, -30)),
        ]
    ]
    assert figures(result)["高潜力但少跟进"] == 4


def test_high_potential_as_of_a_past_date(users, today, potential):
    # When rep1 looks 20 days back
    result = actions.build(users["rep1"], as_of(day(today, -20)))

    # Then the follow-ups 29–31 days before today were within that date's
    # 30 days; the one 5 days ago had not happened yet, so the last one then
    # was 60 days ago; and the deleted follow-up (2 days ago) is no matter.
    p = potential
    assert column(result, "high_potential", "customer_no") == [
        p["never"].customer_no,
        p["recent"].customer_no,
    ]
    assert column(result, "high_potential", "last_followup") == [
        None,
        day(today, -60),
    ]


def test_a_customer_created_after_the_as_of_date_is_not_listed(users, today):
    customer(users["rep1"], today, level="A", created_at=moment(today, -3))

    assert (
        rows(actions.build(users["rep1"], as_of(day(today, -4))), "high_potential")
        == []
    )
    assert len(rows(actions.build(users["rep1"], as_of(today)), "high_potential")) == 1


def test_a_follow_up_later_on_the_as_of_date_counts(users, today):
    # Given a level-A customer followed up at 23:30 today (logged ahead)
    c = customer(users["rep1"], today, level="A")
    followed(users["rep1"], c, moment(today, 0, 23, 30))

    # Then it is followed as of today, and was not as of yesterday
    assert rows(actions.build(users["rep1"], as_of(today)), "high_potential") == []
    yesterday = rows(
        actions.build(users["rep1"], as_of(day(today, -1))), "high_potential"
    )
    assert [r["customer_no"] for r in yesterday] == [c.customer_no]
    assert yesterday[0]["last_followup"] is None


def test_a_follow_up_after_the_as_of_date_does_not_count(users, today):
    # Given a level-A customer followed 40 days ago and tomorrow (logged
    # ahead: the kept last follow-up time is after the as-of date)
    c = customer(users["rep1"], today, level="A")
    followed(users["rep1"], c, moment(today, -40))
    followed(users["rep1"], c, moment(today, 1))

    result = actions.build(users["rep1"], as_of(today))

    # Then as of today it was last followed 40 days ago
    assert column(result, "high_potential", "last_followup") == [day(today, -40)]


# -- stalled opportunities -------------------------------------------------------


@pytest.fixture
def deals(users, today):
    """rep1's deals, all created 100 days ago (see each line)."""
    rep1 = users["rep1"]
    c = customer(rep1, today, name="机会客户公司")
    created = moment(today, -100)
    d = {}
    # Moved at 00:10, 29 days before today: active.
    d["moved29"] = deal(rep1, c, created)
    move(rep1, d["moved29"], Stage.ANALYSIS, moment(today, -29, 0, 10))
    # Moved at 23:30, 30 days before: stalled since.
    d["moved30"] = deal(rep1, c, created)
    move(rep1, d["moved30"], Stage.ANALYSIS, moment(today, -30, 23, 30))
    # Followed up on the deal 31 days before: stalled since.
    d["followed31"] = deal(rep1, c, created)
    followed(rep1, c, moment(today, -31), opportunity=d["followed31"])
    # Followed up on the deal 10 days before: active.
    d["followed10"] = deal(rep1, c, created)
    followed(rep1, c, moment(today, -10), opportunity=d["followed10"])
    # Only the customer followed up (not this deal), 5 days before: stalled
    # since its creation.
    d["untouched"] = deal(rep1, c, created)
    followed(rep1, c, moment(today, -5))
    # Won 50 days before: not open.
    d["won50"] = deal(rep1, c, created)
    move(rep1, d["won50"], Stage.WON, moment(today, -50))
    # In proposal 45 days before, lost 20 days before.
    d["lost20"] = deal(rep1, c, created)
    move(rep1, d["lost20"], Stage.PROPOSAL, moment(today, -45))
    lose(rep1, d["lost20"], moment(today, -20))
    # Won 20 days before, untouched until then.
    d["won20"] = deal(rep1, c, created)
    move(rep1, d["won20"], Stage.WON, moment(today, -20))
    for key, value in d.items():
        d[key] = Opportunity.objects.get(pk=value.pk)
    return d


def test_stalled_opportunities_as_of_today(users, today, deals):
    result = actions.build(users["rep1"], as_of(today))

    # The longest idle first: creation, then 31, then 30 days ago.
    d = deals
    first = d["untouched"]
    assert rows(result, "stalled")[0] == {
        "opp_no": first.opp_no,
        "name": first.name,
        "url": first.get_absolute_url(),
        "customer": "机会客户公司",
        "customer_url": first.customer.get_absolute_url(),
        "owner": "rep1",
        "stage": "线索",
        "amount": first.amount,
        "last_activity": day(today, -100),
        "log": "记录跟进",
        "log_url": (
            f"{LOG_URL}?customer={first.customer.customer_no}"
            f"&opportunity={first.opp_no}"
        ),
    }
    assert column(result, "stalled", "opp_no") == [
        d["untouched"].opp_no,
        d["followed31"].opp_no,
        d["moved30"].opp_no,
    ]
    assert column(result, "stalled", "stage") == ["线索", "线索", "需求分析"]
    assert column(result, "stalled", "last_activity") == [
        day(today, -100),
        day(today, -31),
        day(today, -30),
    ]
    assert figures(result)["停滞的销售机会"] == 3


def test_as_of_today_is_the_stalled_queryset(users, today, deals):
    # `stalled(since)` with the first instant of the 30 days up to today.
    since = local_midnight(day(today, 1)) - datetime.timedelta(days=30)
    for name in ("rep1", "manager", "rep2"):
        user = users[name]
        expected = Opportunity.objects.for_user(user, "view").stalled(since)

        listed = column(actions.build(user, as_of(None)), "stalled", "opp_no")

        assert sorted(listed) == sorted(expected.values_list("opp_no", flat=True))


def test_stalled_as_of_a_past_date_reads_the_history(users, today, deals):
    # When rep1 looks 40 days back
    result = actions.build(users["rep1"], as_of(day(today, -40)))

    # Then every deal untouched from its creation to then, in the stage it
    # was in: the moves 29 and 30 days ago and the follow-ups had not
    # happened; the deal won 20 days ago was still a lead. The deal won 50
    # days ago was not open; the one moved to proposal 45 days ago was active.
    d = deals
    expected = ["moved29", "moved30", "followed31", "followed10", "untouched", "won20"]
    assert column(result, "stalled", "opp_no") == [d[k].opp_no for k in expected]
    assert set(column(result, "stalled", "stage")) == {"线索"}
    assert set(column(result, "stalled", "last_activity")) == {day(today, -100)}
    assert result.table("stalled").note.endswith(
        "过去日期的阶段和最近活动依据阶段历史和现有跟进记录推算。"
    )


def test_the_history_agrees_with_the_kept_columns_for_today(
    users, today, deals, potential, renewals
):
    # The lists computed from the history (the path of past dates) for today
    # give what the kept columns give.
    live = actions.AsOf.of(as_of(today))
    history = actions.AsOf(day=live.day, end=live.end, live=False)
    manager, filters = users["manager"], as_of(today)
    for table in (actions.high_potential, actions.stalled, actions.renewal_risk):
        assert table(manager, filters, history)[0].rows == (
            table(manager, filters, live)[0].rows
        )


# -- renewal risk -----------------------------------------------------------------


@pytest.fixture
def renewals(users, today):
    """rep1's customers renewing around today (see each line)."""
    rep1, staff = users["rep1"], users["service"]
    made = {}

    def renewing(name, offset, **data):
        made[name] = customer(
            rep1, today, name=f"{name}续约公司", renewal_date=day(today, offset), **data
        )
        return made[name]

    # +60 days, followed 30 days ago at 23:30 (not within 30 days): quiet.
    c = renewing("quiet60", 60, success_manager=users["success"])
    followed(rep1, c, moment(today, -30, 23, 30))
    # +61 days, never followed: outside the window.
    renewing("quiet61", 61)
    # Today, followed 29 days ago at 00:10, an open complaint.
    c = renewing("complaint", 0)
    followed(rep1, c, moment(today, -29, 0, 10))
    make_ticket(staff, c, kind="complaint", created_at=moment(today, -3))
    # +10 days, followed, last closed ticket rated 2 (an earlier one 5, a
    # later closed one unrated).
    c = renewing("low", 10)
    followed(rep1, c, moment(today, -1))
    t = make_ticket(staff, c, kind="question", created_at=moment(today, -30))
    closed(resolved(t, staff, moment(today, -29)), staff, moment(today, -28), 5)
    t = make_ticket(staff, c, kind="request", created_at=moment(today, -20))
    closed(resolved(t, staff, moment(today, -19)), staff, moment(today, -18), 2)
    t = make_ticket(staff, c, kind="question", created_at=moment(today, -9))
    closed(resolved(t, staff, moment(today, -8)), staff, moment(today, -7), None)
    # +12 days, followed, last rated 3 (an earlier one 1): fine.
    c = renewing("fine", 12)
    followed(rep1, c, moment(today, -1))
    t = make_ticket(staff, c, kind="question", created_at=moment(today, -30))
    closed(resolved(t, staff, moment(today, -29)), staff, moment(today, -28), 1)
    t = make_ticket(staff, c, kind="question", created_at=moment(today, -20))
    closed(resolved(t, staff, moment(today, -19)), staff, moment(today, -18), 3)
    # +20 days, followed 2 days ago, a complaint opened 40 days ago and
    # resolved 10 days ago: fine now (it was open 30 days ago).
    c = renewing("resolved", 20)
    followed(rep1, c, moment(today, -2))
    t = make_ticket(staff, c, kind="complaint", created_at=moment(today, -40))
    resolved(t, staff, moment(today, -10))
    # +5 days: every reason (never followed, an open complaint, rated 1).
    c = renewing("everything", 5)
    t = make_ticket(staff, c, kind="complaint", created_at=moment(today, -30))
    closed(resolved(t, staff, moment(today, -29)), staff, moment(today, -28), 1)
    make_ticket(staff, c, kind="complaint", created_at=moment(today, -10))
    # Yesterday, never followed: past.
    renewing("yesterday", -1)
    return made


def test_renewal_risk_as_of_today(users, today, renewals):
    result = actions.build(users["rep1"], as_of(today))

    r = renewals
    listed = [
        (row["customer_no"], row["renewal_date"], row["reasons"])
        for row in rows(result, "renewal_risk")
    ]
    assert listed == [
        (r["complaint"].customer_no, today, "有未解决的投诉"),
        (
            r["everything"].customer_no,
            day(today, 5),
            "30天内无跟进、有未解决的投诉、最近满意度 1 分",
        ),
        (r["low"].customer_no, day(today, 10), "最近满意度 2 分"),
        (r["quiet60"].customer_no, day(today, 60), "30天内无跟进"),
    ]
    last = rows(result, "renewal_risk")[-1]
    assert last["name"] == "quiet60续约公司"
    assert last["url"] == r["quiet60"].get_absolute_url()
    assert (last["owner"], last["success_manager"]) == ("rep1", "success")
    assert last["log_url"].endswith(f"?customer={r['quiet60'].customer_no}")
    assert figures(result)["续约风险"] == 4


def test_renewal_risk_as_of_a_past_date(users, today, renewals):
    # When rep1 looks 30 days back: renewals from then to 30 days from now
    result = actions.build(users["rep1"], as_of(day(today, -30)))

    # Then nobody had been followed up yet (every follow-up is later);
    # yesterday's renewal was ahead; the complaint resolved 10 days ago was
    # open, and so was the first complaint of the one with every reason
    # (opened at 10:00 that day, resolved the next); no rating was given yet.
    r = renewals
    listed = [
        (row["customer_no"], row["reasons"]) for row in rows(result, "renewal_risk")
    ]
    assert listed == [
        (r["yesterday"].customer_no, "30天内无跟进"),
        (r["complaint"].customer_no, "30天内无跟进"),
        (r["everything"].customer_no, "30天内无跟进、有未解决的投诉"),
        (r["low"].customer_no, "30天内无跟进"),
        (r["fine"].customer_no, "30天内无跟进"),
        (r["resolved"].customer_no, "30天内无跟进、有未解决的投诉"),
    ]


# -- every list -----------------------------------------------------------------


@pytest.fixture
def two_reps(users, today):
    """One customer of each rep in every list; rep1's has a success manager."""
    made = {}
    for name in ("rep1", "rep2"):
        owner = users[name]
        data = {"success_manager": users["success"]} if name == "rep1" else {}
        c = customer(
            owner,
            today,
            name=f"{name}的客户",
            level="A",
            renewal_date=day(today, 30),
            **data,
        )
        made[name] = (c, deal(owner, c, moment(today, -90)))
    return made


@pytest.mark.parametrize(
    "viewer, seen",
    [
        ("rep1", ["rep1"]),
        ("rep2", ["rep2"]),
        ("success", ["rep1"]),
        ("manager", ["rep1", "rep2"]),
        ("admin", ["rep1", "rep2"]),
    ],
)
def test_each_viewer_sees_only_what_they_may_see(users, today, two_reps, viewer, seen):
    result = actions.build(users[viewer], as_of(today))

    customers = [two_reps[name][0].customer_no for name in seen]
    opportunities = [two_reps[name][1].opp_no for name in seen]
    assert column(result, "high_potential", "customer_no") == customers
    assert column(result, "stalled", "opp_no") == opportunities
    assert column(result, "renewal_risk", "customer_no") == customers
    assert list(figures(result).values()) == [len(seen)] * 3


def test_customer_service_has_no_action_lists(users):
    may_open = {
        name: permissions.has_model_perm(users[name], Report, "actions")
        for name in ("service", "success", "rep1", "manager")
    }

    assert may_open == {
        "service": False,
        "success": True,
        "rep1": True,
        "manager": True,
    }


def test_the_filters_narrow_every_list(users, today, two_reps):
    manager = users["manager"]

    by_owner = actions.build(manager, as_of(today, owner=users["rep2"]))
    by_level = actions.build(manager, as_of(today, level="B"))

    rep2_customer, rep2_deal = two_reps["rep2"]
    assert column(by_owner, "high_potential", "customer_no") == [
        rep2_customer.customer_no
    ]
    assert column(by_owner, "stalled", "opp_no") == [rep2_deal.opp_no]
    assert column(by_owner, "renewal_risk", "customer_no") == [
        rep2_customer.customer_no
    ]
    assert list(figures(by_level).values()) == [0, 0, 0]


def test_the_log_link_opens_the_form_for_that_customer(client, users, today, two_reps):
    result = actions.build(users["rep1"], as_of(today))
    link = rows(result, "stalled")[0]["log_url"]

    page = client_for(client, users["rep1"]).get(link)

    assert page.status_code == 200
    assert "rep1的客户" in page.content.decode()


def test_a_long_list_is_capped_and_says_how_long_it_is(users, today, monkeypatch):
    monkeypatch.setattr(actions, "CAP", 3)
    made = [customer(users["rep1"], today, level="A") for _ in range(5)]

    result = actions.build(users["rep1"], as_of(today))

    table = result.table("high_potential")
    assert [r["customer_no"] for r in table.rows] == sorted(
        c.customer_no for c in made
    )[:3]
    assert table.note.endswith("仅显示前 3 条，共 5 条。")
    assert figures(result)["高潜力但少跟进"] == 5


def test_a_capped_stalled_list_counts_every_deal(users, today, deals, monkeypatch):
    # Today's list reads its rows and its count apart; the count is still of
    # the whole list, which a viewer without the deals does not see.
    monkeypatch.setattr(actions, "CAP", 2)

    result = actions.build(users["rep1"], as_of(today))

    assert column(result, "stalled", "opp_no") == [
        deals["untouched"].opp_no,
        deals["followed31"].opp_no,
    ]
    assert result.table("stalled").note.endswith("仅显示前 2 条，共 3 条。")
    assert figures(result)["停滞的销售机会"] == 3
    assert figures(actions.build(users["rep2"], as_of(today)))["停滞的销售机会"] == 0


@pytest.mark.parametrize("offset", [0, -20], ids=["today", "past"])
def test_the_query_count_does_not_grow_with_the_data(
    users, today, django_assert_max_num_queries, offset
):
    rep1, staff = users["rep1"], users["service"]

    def add(n):
        """n customers on every list as of `offset` days from today."""
        for i in range(n):
            c = customer(rep1, today, level="A", renewal_date=day(today, offset + i))
            followed(rep1, c, moment(today, offset - 40 - i))
            opportunity = deal(rep1, c, moment(today, offset - 90))
            followed(rep1, c, moment(today, offset - 35), opportunity=opportunity)
            t = make_ticket(staff, c, created_at=moment(today, offset - 9))
            if i % 2:
                t = resolved(t, staff, moment(today, offset - 8))
                closed(t, staff, moment(today, offset - 7), 1)

    when = day(today, offset)
    add(2)
    with CaptureQueriesContext(connection) as few:
        actions.build(rep1, as_of(when))
    add(8)

    with django_assert_max_num_queries(len(few)):
        result = actions.build(rep1, as_of(when))

    assert list(figures(result).values()) == [10, 10, 10]
