"""The service report (DESIGN §7): tickets opened and resolved by kind and by
priority, average resolution hours, the share resolved within SLA and the
average satisfaction.

Given tickets opened, resolved, closed and reopened through the ticket
services at known instants around the edges of March 2026 in Shanghai time,
on rep1's and rep2's customers, a viewer sees the exact figures a user would
read (one decimal, percentages, "—" for a zero denominator), only over the
tickets they may see."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from followups import ticket_services
from reports.filters import ReportFilters
from reports.queries import service
from tests.factories import make_customer, make_ticket

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
MARCH = ReportFilters(
    start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31), period="custom"
)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def move(ticket, actor, action, when, **extra):
    return ticket_services.ticket_transition(
        actor=actor,
        ticket=ticket,
        action=action,
        expected_version=ticket.version,
        at=when,
        **extra,
    )


def resolve(ticket, actor, when):
    started = move(ticket, actor, "start", when)
    return move(started, actor, "resolve", when, resolution="已远程处理")


def close(ticket, actor, when, score):
    return move(ticket, actor, "close", when, satisfaction=score)


def seen(result, filters=MARCH) -> dict:
    """The report as its JSON download shows it (what the page shows)."""
    return result.as_json("service", "服务", filters)


def table(result, key, filters=MARCH) -> list[dict]:
    data = seen(result, filters)["tables"][key]
    return [*data["rows"], data["total"]]


def figures(result, filters=MARCH) -> dict:
    return {f["label"]: f["value"] for f in seen(result, filters)["figures"]}


@pytest.fixture
def tickets(users, rep1_customer, rep2_customer):
    """Eight tickets on rep1's customer, one on rep2's (see each line)."""
    staff = users["service"]
    c = rep1_customer

    def ticket(kind, priority, created, **extra):
        return make_ticket(
            staff, c, kind=kind, priority=priority, created_at=created, **extra
        )

    # Complaint, urgent (4 h): resolved in 3 h, closed with 2.
    t1 = ticket("complaint", "urgent", at(2026, 3, 3, 9, 0), assignee=staff)
    t1 = close(resolve(t1, staff, at(2026, 3, 3, 12, 0)), staff, at(2026, 3, 4, 10), 2)
    # Complaint, high (24 h): resolved in 48 h (late); closed with 4 at
    # 23:30 on the period's last day.
    t2 = ticket("complaint", "high", at(2026, 3, 5, 10, 0))
    t2 = resolve(t2, staff, at(2026, 3, 7, 10, 0))
    close(t2, staff, at(2026, 3, 31, 23, 30), 4)
    # Question, medium: opened at 23:30 on the last day, still open.
    ticket("question", "medium", at(2026, 3, 31, 23, 30))
    # Question, low: opened at 00:10 the day after, open (not in March).
    ticket("question", "low", at(2026, 4, 1, 0, 10))
    # Request, medium (3 days), opened in February: resolved in March after
    # 214 h (late), closed with 1 only in April.
    t5 = ticket("request", "medium", at(2026, 2, 20, 10, 0))
    t5 = resolve(t5, staff, at(2026, 3, 1, 8, 0))
    close(t5, staff, at(2026, 4, 1, 0, 10), 1)
    # Request, low (7 days): resolved at 23:30 on the last day after 87.5 h
    # (within), closed with 5 at 23:45.
    t6 = ticket("request", "low", at(2026, 3, 28, 8, 0))
    t6 = resolve(t6, staff, at(2026, 3, 31, 23, 30))
    close(t6, staff, at(2026, 3, 31, 23, 45), 5)
    # Question, urgent: resolved at 00:10 the day after (not in March).
    t7 = ticket("question", "urgent", at(2026, 3, 20, 8, 0))
    resolve(t7, staff, at(2026, 4, 1, 0, 10))
    # Complaint, medium: resolved, then reopened: open again, not resolved.
    t8 = ticket("complaint", "medium", at(2026, 3, 10, 9, 0))
    t8 = resolve(t8, staff, at(2026, 3, 11, 9, 0))
    t8 = move(t8, staff, "reopen", at(2026, 3, 12, 9, 0))
    # rep2's customer: a question resolved in 24 h, within its 3 days.
    t9 = make_ticket(
        staff,
        rep2_customer,
        kind="question",
        priority="medium",
        created_at=at(2026, 3, 15, 10, 0),
        assignee=staff,
    )
    resolve(t9, staff, at(2026, 3, 16, 10, 0))
    return {"t8": t8}


COLUMNS = ("opened", "resolved", "avg_hours", "within_sla", "satisfaction")


def row(label, *values, key="kind"):
    return {key: label, **dict(zip(COLUMNS, values, strict=True))}


def test_a_rep_sees_the_tickets_of_their_customers_by_kind(users, tickets):
    # When rep1 opens the service report for March
    result = service.build(users["rep1"], MARCH)

    # Then the kinds, each with its figures, and the totals; rep2's
    # customer's question is not counted. Complaints: (3 + 48) / 2 h, one of
    # two within SLA, satisfaction (2 + 4) / 2; requests: (214 + 87.5) / 2 h,
    # one of two within SLA, satisfaction 5 (the 1 was given in April).
    assert table(result, "kinds") == [
        row("咨询", 2, 0, None, None, None),
        row("投诉", 3, 2, 25.5, 50.0, 3.0),
        row("服务请求", 1, 2, 150.8, 50.0, 5.0),
        row("合计", 6, 4, 88.1, 50.0, 3.7),
    ]


def test_the_figures_above_the_tables(users, tickets):
    result = service.build(users["rep1"], MARCH)

    # Open now: the two open questions and the reopened complaint.
    assert figures(result) == {
        "新建工单": 6,
        "已解决工单": 4,
        "当前未结": 3,
        "平均解决时长（小时）": 88.1,
        "SLA 内解决率": 50.0,
        "平均满意度": 3.7,
    }


def test_by_priority(users, tickets):
    result = service.build(users["rep1"], MARCH)

    assert table(result, "priorities") == [
        row("低", 1, 1, 87.5, 100.0, 5.0, key="priority"),
        row("中", 2, 1, 214.0, 0.0, None, key="priority"),
        row("高", 1, 1, 48.0, 0.0, 4.0, key="priority"),
        row("紧急", 2, 1, 3.0, 100.0, 2.0, key="priority"),
        row("合计", 6, 4, 88.1, 50.0, 3.7, key="priority"),
    ]


@pytest.mark.parametrize("viewer", ["manager", "service", "admin"])
def test_managers_and_customer_service_see_every_ticket(users, tickets, viewer):
    result = service.build(users[viewer], MARCH)

    rows = table(result, "kinds")
    assert rows[0] == row("咨询", 3, 1, 24.0, 100.0, None)
    # (3 + 48 + 214 + 87.5 + 24) / 5 h; 3 of 5 within SLA.
    assert rows[-1] == row("合计", 7, 5, 75.3, 60.0, 3.7)


def test_customer_success_sees_the_tickets_of_their_customers(
    users, tickets, rep2_customer
):
    # Given rep2's customer in the success manager's care
    Customer.objects.filter(pk=rep2_customer.pk).update(
        success_manager=users["success"]
    )

    result = service.build(users["success"], MARCH)

    # Then only that customer's question (rep1's tickets are not theirs)
    assert table(result, "kinds")[-1] == row("合计", 1, 1, 24.0, 100.0, None)


def test_the_owner_filter_is_the_assignee(users, tickets):
    filters = ReportFilters(
        start=MARCH.start, end=MARCH.end, period="custom", owner=users["service"]
    )

    result = service.build(users["manager"], filters)

    # The two tickets assigned to the service user: t1 and rep2's t9.
    rows = table(result, "kinds", filters)
    assert rows[-1] == row("合计", 2, 2, 13.5, 100.0, 2.0)
    assert figures(result, filters)["当前未结"] == 0


def test_all_time_counts_every_ticket(users, tickets):
    filters = ReportFilters()

    result = service.build(users["rep1"], filters)

    # Eight opened; resolved: all but the open ones and the reopened one.
    # Satisfaction over every closed ticket: (2 + 4 + 1 + 5) / 4.
    total = table(result, "kinds", filters)[-1]
    assert (total["opened"], total["resolved"], total["satisfaction"]) == (8, 5, 3.0)


def test_a_reopened_ticket_counts_once_resolved_again(users, tickets):
    # Given the reopened complaint resolved again on 20 March, 09:00
    resolve_again = tickets["t8"]
    ticket_services.ticket_transition(
        actor=users["service"],
        ticket=resolve_again,
        action="resolve",
        expected_version=resolve_again.version,
        resolution="再次处理",
        at=at(2026, 3, 20, 9, 0),
    )

    result = service.build(users["rep1"], MARCH)

    # Then it counts as resolved in March, after 10 days (240 h) from its
    # creation, past its SLA; and it is no longer open.
    complaints = table(result, "kinds")[1]
    assert complaints == row("投诉", 3, 3, 97.0, 33.3, 3.0)
    assert figures(result)["当前未结"] == 2


def test_no_tickets_shows_dashes(users):
    result = service.build(users["rep1"], MARCH)

    assert table(result, "kinds")[-1] == row("合计", 0, 0, None, None, None)
    assert figures(result)["SLA 内解决率"] is None


def test_the_charts_are_drawn_from_the_tables(users, tickets):
    result = service.build(users["rep1"], MARCH)

    kinds, sla = result.chart_data()
    assert kinds["categories"] == ["咨询", "投诉", "服务请求"]
    assert [s["values"] for s in kinds["series"]] == [[2, 3, 1], [0, 2, 2]]
    assert sla["categories"] == ["低", "中", "高", "紧急"]
    assert sla["series"][0]["values"] == [100.0, 0.0, 0.0, 100.0]


def test_the_query_count_does_not_grow_with_the_tickets(
    users, rep1_customer, django_assert_max_num_queries
):
    staff, rep1 = users["service"], users["rep1"]

    def add(n):
        for i in range(n):
            kind = ("question", "complaint", "request")[i % 3]
            priority = ("low", "medium", "high", "urgent")[i % 4]
            t = make_ticket(
                staff,
                rep1_customer,
                kind=kind,
                priority=priority,
                created_at=at(2026, 3, 2 + i % 20, 9, 0),
            )
            if i % 2:
                close(
                    resolve(t, staff, at(2026, 3, 25, 9, 0)), staff, at(2026, 3, 26), 4
                )

    add(2)
    with CaptureQueriesContext(connection) as few:
        service.build(rep1, MARCH)
    add(12)
    other = make_customer(users["rep2"])
    make_ticket(staff, other, created_at=at(2026, 3, 5, 9, 0))

    with django_assert_max_num_queries(len(few)):
        result = service.build(rep1, MARCH)

    assert table(result, "kinds")[-1]["opened"] == 14
