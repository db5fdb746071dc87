"""The kanban board: who may open it, its columns' counts and amounts (one
grouped query over the filtered visible deals), the cards each user may move,
the stalled flag, and each column's pages (keyset, 20 cards at a time)."""

import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opportunities.board_views import PAGE_SIZE
from opportunities.models import (
    BOARD_STAGES,
    DEFAULT_PROBABILITY,
    WON_STAGES,
    Opportunity,
    Stage,
)
from tests import querycount
from tests.factories import client_for, make_customer, make_opportunity

BOARD = reverse("opportunities:opportunity_board")
HTMX = {"HTTP_HX_REQUEST": "true"}
CARD_ID = re.compile(r'id="card-(O[0-9A-Z]+)"')
_numbers = itertools.count(1)


def column_url(stage: str, query: str = "") -> str:
    url = reverse("opportunities:board_column", args=[stage])
    return f"{url}?{query}" if query else url


def bulk_deals(customer, owner, stage, n, *, days=None, amount="1000.00"):
    """`n` deals in `stage` written in one INSERT (the services are tested
    elsewhere; a column of hundreds must be quick to build). `days(i)` gives
    the i-th deal's expected close as days from today, or None."""
    now = timezone.now()
    today = timezone.localdate()
    rows = []
    for i in range(n):
        offset = days(i) if days else i
        number = next(_numbers)
        rows.append(
            Opportunity(
                opp_no=f"O20990101{number:05d}",
                name=f"批量机会{number}",
                customer=customer,
                owner=owner,
                created_by=owner,
                stage=stage,
                amount=Decimal(amount),
                probability=DEFAULT_PROBABILITY[stage],
                expected_close_date=(
                    None if offset is None else today + datetime.timedelta(offset)
                ),
                created_at=now,
                stage_changed_at=now,
                last_activity_at=now,
                won_at=now if stage in WON_STAGES else None,
            )
        )
    return Opportunity.objects.bulk_create(rows)


def heads(response) -> dict:
    return {
        c["stage"]: (c["count"], Decimal(c["amount"]))
        for c in response.context["columns"]
    }


def card_ids(html: str) -> list[str]:
    return CARD_ID.findall(html)


@pytest.fixture
def customer(users):
    return make_customer(users["rep1"], success_manager=users["success"])


@pytest.mark.parametrize(
    "role,status",
    [
        ("admin", 200),
        ("manager", 200),
        ("rep1", 200),
        ("rep2", 200),
        ("success", 200),
        ("service", 403),
    ],
)
def test_who_may_open_the_board(client, users, role, status):
    c = client_for(client, users[role])
    assert c.get(BOARD).status_code == status
    assert c.get(column_url("lead")).status_code == status
    assert c.get(column_url("lead"), **HTMX).status_code == status


def test_anonymous_users_log_in_first(client, db):
    response = client.get(BOARD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("stage", ["lost", "bogus"])
def test_a_column_that_is_not_on_the_board_is_404(client, users, stage):
    assert client_for(client, users["rep1"]).get(column_url(stage)).status_code == 404


def test_columns_count_and_sum_the_deals_each_user_sees(client, users, customer):
    rep2_customer = make_customer(users["rep2"])
    make_opportunity(users["rep1"], customer, stage="lead", amount=Decimal("0.01"))
    make_opportunity(users["rep1"], customer, stage="lead", amount=Decimal("0.02"))
    make_opportunity(users["rep1"], customer, stage="won", amount=Decimal("1000000"))
    make_opportunity(users["rep1"], customer, stage="lost", amount=Decimal("7"))
    make_opportunity(
        users["rep2"], rep2_customer, stage="lead", amount=Decimal("500.50")
    )

    rep1 = heads(client_for(client, users["rep1"]).get(BOARD))
    assert rep1["lead"] == (2, Decimal("0.03"))
    assert rep1["won"] == (1, Decimal("1000000"))
    assert rep1["analysis"] == (0, Decimal("0"))
    assert "lost" not in rep1
    assert list(rep1) == [s.value for s in BOARD_STAGES]

    manager = client_for(client, users["manager"]).get(BOARD)
    assert heads(manager)["lead"] == (3, Decimal("500.53"))
    html = manager.content.decode()
    assert "¥1,000,000.00" in html and "¥500.53" in html

    # customer success: their customer's deals only; rep2 sees only their own
    assert heads(client_for(client, users["success"]).get(BOARD))["lead"][0] == 2
    assert heads(client_for(client, users["rep2"]).get(BOARD))["lead"] == (
        1,
        Decimal("500.50"),
    )


def test_filters_narrow_the_columns(client, users, customer):
    rep2_customer = make_customer(users["rep2"])
    make_opportunity(
        users["rep1"], customer, stage="lead", name="华东区 ERP", amount=600000
    )
    make_opportunity(users["rep1"], customer, stage="proposal", amount=100)
    make_opportunity(users["rep2"], rep2_customer, stage="lead", amount=50)
    stalled = make_opportunity(users["rep2"], rep2_customer, stage="analysis")
    Opportunity.objects.filter(pk=stalled.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=31)
    )
    c = client_for(client, users["manager"])

    by_owner = heads(c.get(BOARD, {"owner": users["rep2"].pk}))
    assert by_owner["lead"] == (1, Decimal("50"))
    assert by_owner["proposal"][0] == 0

    assert heads(c.get(BOARD, {"q": "华东区"}))["lead"] == (1, Decimal("600000"))
    assert heads(c.get(BOARD, {"amount_min": "50万"}))["lead"][0] == 1
    assert heads(c.get(BOARD, {"customer": customer.customer_no}))["lead"][0] == 1
    only_stalled = heads(c.get(BOARD, {"stalled": "true"}))
    assert [s for s, (n, _) in only_stalled.items() if n] == ["analysis"]

    # The list's sort and stage filter do not hide the board's columns
    both = heads(c.get(BOARD, {"stage": "won", "ordering": "-amount"}))
    assert both["lead"][0] == 2 and both["proposal"][0] == 1


def test_bad_filter_values_are_shown_not_crashed(client, users, customer):
    make_opportunity(users["rep1"], customer, stage="lead")
    response = client_for(client, users["rep1"]).get(
        BOARD, {"amount_min": "abc", "owner": "999999"}
    )
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert heads(response)["lead"][0] == 1


def test_cards_show_the_deal_and_only_movers_get_the_move_control(
    client, users, customer
):
    deal = make_opportunity(
        users["rep1"],
        customer,
        stage="proposal",
        name="智慧园区二期",
        amount=Decimal("1234567.8"),
        expected_close_date=datetime.date(2030, 6, 30),
    )
    html = client_for(client, users["rep1"]).get(BOARD).content.decode()
    card = html.split(f'id="card-{deal.opp_no}"')[1].split("</li>")[0]
    assert "智慧园区二期" in card and "¥1,234,567.80" in card
    assert "2030-06-30" in card and customer.name in card
    assert 'draggable="true"' in card and f'data-version="{deal.version}"' in card
    assert 'name="stage"' in card and 'value="proposal"' not in card
    assert f'name="next" value="{BOARD}"' in card

    # The success manager reads the deal: no dragging, no move form
    html = client_for(client, users["success"]).get(BOARD).content.decode()
    card = html.split(f'id="card-{deal.opp_no}"')[1].split("</li>")[0]
    assert "智慧园区二期" in card
    assert 'draggable="true"' not in card and "<form" not in card
    assert "data-move-url" not in card


def test_the_move_forms_come_back_to_the_filtered_board(client, users, customer):
    make_opportunity(users["rep1"], customer, stage="lead", name="华东")
    html = client_for(client, users["rep1"]).get(BOARD, {"q": "华东"}).content
    assert f'name="next" value="{BOARD}?q=%E5%8D%8E%E4%B8%9C"' in html.decode()


def test_stalled_deals_are_flagged(client, users, customer):
    stalled = make_opportunity(users["rep1"], customer, stage="analysis")
    fresh = make_opportunity(users["rep1"], customer, stage="analysis")
    won = make_opportunity(users["rep1"], customer, stage="won")
    now = timezone.now()
    Opportunity.objects.filter(pk=stalled.pk).update(
        last_activity_at=now - datetime.timedelta(days=30, minutes=1)
    )
    Opportunity.objects.filter(pk=fresh.pk).update(
        last_activity_at=now - datetime.timedelta(days=29, hours=23)
    )
    Opportunity.objects.filter(pk=won.pk).update(
        last_activity_at=now - datetime.timedelta(days=400)
    )
    html = client_for(client, users["rep1"]).get(BOARD).content.decode()

    def card(deal):
        return html.split(f'id="card-{deal.opp_no}"')[0].rsplit("<li", 1)[1]

    assert "is-stalled" in card(stalled)
    assert "is-stalled" not in card(fresh)
    assert "is-stalled" not in card(won)  # only open deals stall


def test_text_is_escaped(client, users):
    customer = make_customer(users["rep1"], name="<b>客户</b>有限公司")
    make_opportunity(
        users["rep1"], customer, stage="lead", name='<script>alert("x")</script>'
    )
    html = client_for(client, users["rep1"]).get(BOARD).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<b>客户</b>" not in html


def test_a_column_pages_through_all_its_cards_once(client, users, customer):
    # 45 deals: dates with ties and some without a date (they come last)
    deals = bulk_deals(
        customer,
        users["rep1"],
        Stage.PROPOSAL,
        45,
        days=lambda i: None if i % 9 == 0 else i % 4,
    )
    expected = [
        d.opp_no
        for d in sorted(
            deals,
            key=lambda d: (d.expected_close_date is None, d.expected_close_date, d.pk),
        )
    ]
    c = client_for(client, users["rep1"])
    page = c.get(BOARD)
    first = page.context["columns"][2]
    assert first["stage"] == "proposal" and first["count"] == 45
    assert [d.opp_no for d in first["cards"]] == expected[:PAGE_SIZE]
    seen = [d.opp_no for d in first["cards"]]
    url = first["more_url"]
    pages = 1
    while url:
        response = c.get(url, **HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        seen += card_ids(html)
        more = re.search(r'hx-get="([^"]+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else ""
        pages += 1
    assert pages == 3
    assert seen == expected  # in order, none twice, none skipped


def test_a_columns_next_page_keeps_the_filters(client, users, customer):
    bulk_deals(customer, users["rep1"], Stage.LEAD, 30, amount="10")
    bulk_deals(customer, users["rep1"], Stage.LEAD, 30, amount="99999")
    c = client_for(client, users["rep1"])
    first = c.get(BOARD, {"amount_max": "100"}).context["columns"][0]
    assert first["count"] == 30
    assert "amount_max=100" in first["more_url"]
    html = c.get(first["more_url"], **HTMX).content.decode()
    assert len(card_ids(html)) == 10
    assert "¥99,999.00" not in html and "hx-get" not in html


def test_a_columns_page_without_js_is_a_page(client, users, customer):
    bulk_deals(customer, users["rep1"], Stage.WON, 25)
    c = client_for(client, users["rep1"])
    more = c.get(BOARD).context["columns"][4]["more_url"]
    response = c.get(more)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and len(card_ids(html)) == 5
    assert 'data-count="25"' in html


def test_a_forged_cursor_starts_the_column_from_the_top(client, users, customer):
    bulk_deals(customer, users["rep1"], Stage.LEAD, 3)
    c = client_for(client, users["rep1"])
    for cursor in ("x", "2024-13-40_5", "-_abc", "_", "2024-01-01_"):
        response = c.get(column_url("lead", f"after={cursor}"), **HTMX)
        assert response.status_code == 200
        assert len(card_ids(response.content.decode())) == 3


def test_a_column_of_500_renders_only_its_first_page(client, users, customer):
    bulk_deals(customer, users["rep1"], Stage.NEGOTIATION, 500)
    response = client_for(client, users["rep1"]).get(BOARD)
    html = response.content.decode()
    column = response.context["columns"][3]
    assert column["count"] == 500 and len(column["cards"]) == PAGE_SIZE
    assert len(card_ids(html)) == PAGE_SIZE
    assert 'data-count="500"' in html
    assert html.count('class="btn btn-small board-more"') == 1


# A warm board: session, user, navigation/role context (a handful), the
# filter form's owner choices, ONE grouped aggregate for the six headers,
# and one query per column for its first page of cards.
BOARD_BUDGET = 15


@pytest.mark.parametrize("role", ["manager", "rep1", "success"])
def test_the_board_does_not_grow_with_its_cards(client, users, customer, role):
    c = client_for(client, users[role])

    def grow(n):
        for stage in BOARD_STAGES:
            bulk_deals(customer, users["rep1"], stage, n)

    grow(5)
    few = querycount.count(c, BOARD)
    few_filtered = querycount.count(c, BOARD + "?stalled=false&amount_min=1")
    grow(55)
    many = querycount.count(c, BOARD)
    many_filtered = querycount.count(c, BOARD + "?stalled=false&amount_min=1")
    assert few == many, f"{role}: 5 cards a column {few}, 60 cards {many}"
    assert few_filtered == many_filtered
    print(f"{role}: board {few} queries")
    assert few <= BOARD_BUDGET


def test_the_headers_are_one_grouped_query(client, users, customer):
    for stage in BOARD_STAGES:
        bulk_deals(customer, users["rep1"], stage, 3)
    c = client_for(client, users["rep1"])
    c.get(BOARD)
    with CaptureQueriesContext(connection) as ctx:
        c.get(BOARD)
    sqls = [q["sql"].upper() for q in ctx.captured_queries]
    grouped = [s for s in sqls if "GROUP BY" in s and "OPPORTUNITIES_OPPORTUNITY" in s]
    assert len(grouped) == 1
    cards = [s for s in sqls if "OPPORTUNITIES_OPPORTUNITY" in s and "LIMIT 21" in s]
    assert len(cards) == len(BOARD_STAGES)


def test_column_page_queries_do_not_grow(client, users, customer):
    bulk_deals(customer, users["rep1"], Stage.LEAD, 25)
    c = client_for(client, users["rep1"])
    url = c.get(BOARD).context["columns"][0]["more_url"]
    c.get(url, **HTMX)
    with CaptureQueriesContext(connection) as few:
        c.get(url, **HTMX)
    bulk_deals(customer, users["rep1"], Stage.LEAD, 100)
    with CaptureQueriesContext(connection) as many:
        c.get(url, **HTMX)
    assert len(few.captured_queries) == len(many.captured_queries)
