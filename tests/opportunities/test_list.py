"""The opportunity list: who may open it, what each role sees, every filter
(odd input included), search, sort, paging, the totals to the fen, the
stalled flag around its 30-day boundary, and escaped names."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity, Stage
from tests.factories import client_for, make_customer, make_opportunity

URL = reverse("opportunities:opportunity_list")
ROW = re.compile(r'data-opp="(O\d+)"')


def listed(client, user, **params) -> list[str]:
    response = client_for(client, user).get(URL, params)
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def page(client, user, **params) -> str:
    response = client_for(client, user).get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def totals(html: str) -> tuple[str, str, str]:
    def value(name):
        return re.search(rf'id="total-{name}">([^<]*)<', html).group(1)

    return value("count"), value("amount"), value("weighted")


@pytest.fixture
def world(users):
    """Two customers of rep1's with a deal each (a: proposal, closing today;
    b: lead, no date) and rep2's customer with a won deal (c)."""
    c1 = make_customer(users["rep1"], name="上海一号科技有限公司")
    c2 = make_customer(users["rep2"], name="杭州二号网络有限公司")
    c3 = make_customer(users["rep1"], name="北京三号信息有限公司")
    today = timezone.localdate()
    return {
        "c1": c1,
        "c2": c2,
        "c3": c3,
        "a": make_opportunity(
            users["rep1"],
            c1,
            name="ERP 升级",
            amount=Decimal("500000.00"),
            expected_close_date=today,
            competitor="用友",
            stage=Stage.PROPOSAL,
        ),
        "b": make_opportunity(
            users["rep1"],
            c3,
            name="数据中台",
            amount=Decimal("80000.00"),
            stage=Stage.LEAD,
        ),
        "c": make_opportunity(
            users["rep2"],
            c2,
            name="云迁移项目",
            amount=Decimal("1200000.00"),
            expected_close_date=today + datetime.timedelta(days=40),
            competitor="金蝶",
            stage=Stage.WON,
        ),
    }


@pytest.fixture
def managed(users):
    """A customer rep1 owns that `success` manages, with one deal."""
    customer = make_customer(
        users["rep1"], name="成功经理的客户", success_manager=users["success"]
    )
    return make_opportunity(users["rep1"], customer, name="续约扩容")


def test_customer_service_gets_403_and_anonymous_the_login(client, users):
    assert client_for(client, users["service"]).get(URL).status_code == 403
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_managers_see_every_deal_reps_their_own(client, users, world):
    every = {world[k].opp_no for k in "abc"}
    assert set(listed(client, users["manager"])) == every
    assert set(listed(client, users["admin"])) == every
    assert set(listed(client, users["rep1"])) == {world["a"].opp_no, world["b"].opp_no}
    assert listed(client, users["rep2"]) == [world["c"].opp_no]


def test_customer_success_sees_only_their_customers_deals_read_only(
    client, users, world, managed
):
    assert listed(client, users["success"]) == [managed.opp_no]
    html = page(client, users["success"])
    assert 'id="new-opportunity"' not in html
    assert 'id="forecast"' not in html


def test_new_opportunity_button_only_for_those_who_may_add(client, users, world):
    html = page(client, users["rep1"])
    assert reverse("opportunities:opportunity_create") in html
    assert 'id="new-opportunity"' in html


def test_rep2_never_finds_rep1s_deal_by_search_or_filter(client, users, world):
    a = world["a"]
    rep2 = users["rep2"]
    for params in (
        {"q": a.opp_no},
        {"q": a.opp_no.lower()},
        {"q": "ERP"},
        {"q": a.customer.name},
        {"customer": a.customer.customer_no},
        {"owner": users["rep1"].pk},
        {"competitor": "用友"},
        {"stage": Stage.PROPOSAL},
        {"close": "this_month"},
    ):
        assert a.opp_no not in listed(client, rep2, **params), params
        html = page(client, rep2, **params)
        assert "ERP 升级" not in html, params
    # The totals and the forecast count only what rep2 sees.
    assert totals(page(client, rep2, owner=users["rep1"].pk))[0] == "0"


def test_search_by_id_name_and_customer(client, users, world):
    manager = users["manager"]
    assert listed(client, manager, q=world["a"].opp_no) == [world["a"].opp_no]
    assert listed(client, manager, q=f" {world['a'].opp_no.lower()} ") == [
        world["a"].opp_no
    ]
    assert listed(client, manager, q="中台") == [world["b"].opp_no]
    assert listed(client, manager, q="杭州二号") == [world["c"].opp_no]
    assert listed(client, manager, q="没有这个") == []


def test_stage_filter_single_and_groups(client, users, world):
    manager = users["manager"]
    assert listed(client, manager, stage=Stage.LEAD) == [world["b"].opp_no]
    assert set(listed(client, manager, stage="open")) == {
        world["a"].opp_no,
        world["b"].opp_no,
    }
    assert listed(client, manager, stage="won_any") == [world["c"].opp_no]
    assert listed(client, manager, stage=Stage.LOST) == []


def test_unknown_stage_is_an_error_next_to_the_field_and_lists_nothing(
    client, users, world
):
    html = page(client, users["manager"], stage="nonsense")
    assert ROW.findall(html) == []
    error = re.search(r'id="filter-error-stage">([^<]+)<', html)
    assert error and "nonsense" in error.group(1)
    assert totals(html) == ("0", "¥0.00", "¥0.00")


def test_owner_filter_and_an_owner_who_cannot_own_deals(client, users, world):
    manager = users["manager"]
    assert set(listed(client, manager, owner=users["rep1"].pk)) == {
        world["a"].opp_no,
        world["b"].opp_no,
    }
    for bad in (users["service"].pk, 999999, "abc"):
        html = page(client, manager, owner=bad)
        assert ROW.findall(html) == []
        assert re.search(r'id="filter-error-owner">[^<]+<', html), bad
    # Only sales colleagues are offered.
    html = page(client, manager)
    owner_select = re.search(r'<select name="owner".*?</select>', html, re.S).group(0)
    assert "service" not in owner_select and "rep1" in owner_select


def test_customer_filter(client, users, world):
    assert listed(
        client, users["manager"], customer=world["c1"].customer_no.lower()
    ) == [world["a"].opp_no]


def test_expected_close_periods_and_range(client, users, world):
    manager = users["manager"]
    today = timezone.localdate()
    a, b, c = (world[k].opp_no for k in "abc")
    assert listed(client, manager, close="this_month") == [a]
    assert listed(client, manager, close="none") == [b]
    assert c in listed(client, manager, close="custom", close_from=str(today))
    assert listed(
        client,
        manager,
        close_from=today.strftime("%Y/%m/%d"),
        close_to=f"{today.year}年{today.month}月{today.day}日",
    ) == [a]
    Opportunity.objects.filter(pk=world["a"].pk).update(
        expected_close_date=today - datetime.timedelta(days=3)
    )
    assert listed(client, manager, close="overdue") == [a]


def test_inverted_date_range_is_refused_next_to_the_end_date(client, users, world):
    today = timezone.localdate()
    html = page(
        client,
        users["manager"],
        close_from=str(today),
        close_to=str(today - datetime.timedelta(days=1)),
    )
    assert ROW.findall(html) == []
    assert "结束日期不能早于开始日期" in re.search(
        r'id="filter-error-close_to">([^<]*)<', html
    ).group(1)


@pytest.mark.parametrize(
    ("amount_min", "amount_max", "expected"),
    [
        ("50万", "", {"a", "c"}),
        ("¥80,000", "50万", {"a", "b"}),
        ("８万", "８万", {"b"}),
        ("0", "", {"a", "b", "c"}),
        ("1.2亿", "", set()),
    ],
)
def test_amount_range_takes_typed_amounts(
    client, users, world, amount_min, amount_max, expected
):
    rows = listed(
        client, users["manager"], amount_min=amount_min, amount_max=amount_max
    )
    assert set(rows) == {world[k].opp_no for k in expected}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"amount_min": "abc"}, "amount_min", "50万"),
        ({"amount_max": "五十万"}, "amount_max", "50万"),
        ({"amount_min": "-5"}, "amount_min", "不能小于 0"),
        ({"amount_min": "50万", "amount_max": "1万"}, "amount_max", "最高金额"),
        ({"amount_min": "1e5"}, "amount_min", "50万"),
    ],
)
def test_odd_amounts_are_refused_in_chinese_next_to_the_field(
    client, users, world, params, field, message
):
    html = page(client, users["manager"], **params)
    assert ROW.findall(html) == []
    error = re.search(rf'id="filter-error-{field}">([^<]*)<', html).group(1)
    assert message in error
    # The summary above the results names the field too.
    assert "filter-errors" in html


def test_competitor_filter(client, users, world):
    assert listed(client, users["manager"], competitor="金蝶") == [world["c"].opp_no]


def test_paging_out_of_range_is_a_404_not_an_error(client, users, world):
    c = client_for(client, users["manager"])
    for bad in ("-1", "0", "999999", "abc", "99999999999999999999"):
        assert c.get(URL, {"page": bad}).status_code == 404, bad
    assert c.get(URL, {"page": "last"}).status_code == 200


def test_paging_keeps_filters_and_a_stable_order(client, users):
    customer = make_customer(users["rep1"])
    made = [
        make_opportunity(users["rep1"], customer, name=f"机会{i}", amount=Decimal(i))
        for i in range(30)
    ]
    first = listed(client, users["rep1"], q="机会")
    second = listed(client, users["rep1"], q="机会", page=2)
    assert len(first) == 25 and len(second) == 5
    assert set(first) | set(second) == {o.opp_no for o in made}
    html = page(client, users["rep1"], q="机会")
    assert "q=%E6%9C%BA%E4%BC%9A&amp;page=2" in html
    # Totals cover every filtered row, not just the page.
    assert totals(html)[0] == "30"


def test_sorting_by_stage_follows_the_flow_and_by_amount(client, users, world):
    manager = users["manager"]
    a, b, c = (world[k].opp_no for k in "abc")
    assert listed(client, manager, ordering="stage") == [b, a, c]
    assert listed(client, manager, ordering="-stage") == [c, a, b]
    assert listed(client, manager, ordering="-amount") == [c, a, b]
    assert listed(client, manager, ordering="probability,-stage") == [b, a, c]
    assert listed(client, manager, ordering="nonsense") == []


def test_totals_are_exact_to_the_fen(client, users):
    customer = make_customer(users["rep1"])
    for _ in range(3):
        make_opportunity(users["rep1"], customer, amount=Decimal("0.01"))
    assert totals(page(client, users["rep1"])) == ("3", "¥0.03", "¥0.00")


def test_weighted_total_is_rounded_once_half_up(client, users):
    """3 × ¥0.05 at 10 % is ¥0.015 exactly: ¥0.02 (not 3 × ¥0.01 rounded
    per row, nor ¥0.01 rounding half to even)."""
    customer = make_customer(users["rep1"])
    for _ in range(3):
        make_opportunity(users["rep1"], customer, amount=Decimal("0.05"))
    assert totals(page(client, users["rep1"])) == ("3", "¥0.15", "¥0.02")


def test_totals_with_decimals_and_probabilities(client, users, world):
    customer = make_customer(users["rep1"])
    make_opportunity(
        users["rep1"], customer, amount=Decimal("12345678.91"), probability=33
    )
    make_opportunity(users["rep1"], customer, amount=Decimal("0.99"), probability=7)
    html = page(client, users["rep1"], customer=customer.customer_no)
    # 12345678.91 × 0.33 = 4074074.0403; 0.99 × 0.07 = 0.0693 → 4074074.1096
    assert totals(html) == ("2", "¥12,345,679.90", "¥4,074,074.11")
    # The manager's totals over every deal: 500000 at 40 %, 80000 at 10 %,
    # 1200000 at 100 %, plus the two above.
    html = page(client, users["manager"])
    assert totals(html) == (
        "5",
        "¥14,125,679.90",
        "¥5,482,074.11",
    )


def test_stalled_flag_around_the_30_day_boundary(client, users, world):
    now = timezone.now()
    days = datetime.timedelta(days=settings.CRM_STALLED_DAYS)
    a, b = world["a"], world["b"]
    Opportunity.objects.filter(pk=a.pk).update(
        last_activity_at=now - days - datetime.timedelta(minutes=5)
    )
    Opportunity.objects.filter(pk=b.pk).update(
        last_activity_at=now - days + datetime.timedelta(minutes=5)
    )
    # A won deal is never stalled, however old its activity.
    Opportunity.objects.filter(pk=world["c"].pk).update(last_activity_at=now - days * 3)
    html = page(client, users["manager"])
    stalled = re.findall(r'class="opp-row is-stalled" data-opp="(O\d+)"', html)
    assert stalled == [a.opp_no]
    assert listed(client, users["manager"], stalled="true") == [a.opp_no]
    assert set(listed(client, users["manager"], stalled="false")) == {
        b.opp_no,
        world["c"].opp_no,
    }


def test_a_follow_up_on_the_deal_clears_the_stalled_flag(client, users, world):
    from opportunities import services

    a = world["a"]
    old = timezone.now() - datetime.timedelta(days=settings.CRM_STALLED_DAYS + 1)
    Opportunity.objects.filter(pk=a.pk).update(last_activity_at=old)
    assert listed(client, users["rep1"], stalled="true") == [a.opp_no]
    services.note_followup(a.pk, timezone.now())
    assert listed(client, users["rep1"], stalled="true") == []


def test_html_in_names_is_escaped(client, users):
    customer = make_customer(users["rep1"], name="<img src=x onerror=alert(1)>公司")
    make_opportunity(
        users["rep1"],
        customer,
        name="<script>alert(1)</script>",
        competitor="<b>对手</b>",
    )
    html = page(client, users["rep1"], columns="name,customer,competitor")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<b>对手</b>" not in html


def test_board_link_keeps_the_filters(client, users, world):
    html = page(client, users["rep1"], stage="open", q="ERP")
    link = re.search(r'id="board-link" href="([^"]+)"', html).group(1)
    assert link.startswith(reverse("opportunities:opportunity_board") + "?")
    assert "stage=open" in link and "q=ERP" in link


def test_htmx_results_carry_the_filter_errors_and_board_link_out_of_band(
    client, users, world
):
    c = client_for(client, users["manager"])
    response = c.get(URL, {"amount_min": "abc"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert re.search(
        r'<span class="error filter-error" id="filter-error-amount_min" '
        r'hx-swap-oob="true">[^<]+</span>',
        html,
    )
    assert 'id="board-link"' in html and 'hx-swap-oob="true"' in html
    assert 'id="opp-totals"' in html


HOSTILE = [
    "²",
    "-1",
    "1e9",
    "99999999999999999999",
    "NaN",
    "\x00",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "x" * 3000,
    ["1", "<script>alert(1)</script>"],
]
PARAMS = [
    "q",
    "stage",
    "owner",
    "customer",
    "close",
    "close_from",
    "close_to",
    "amount_min",
    "amount_max",
    "competitor",
    "stalled",
    "ordering",
    "per_page",
]


@pytest.mark.parametrize("role", ["manager", "rep2"])
def test_hostile_values_in_every_filter_never_break_or_echo(client, users, world, role):
    """Each value in every filter at once (htmx or not), then in each filter
    alone, so the value reaches the database when the others are empty."""
    c = client_for(client, users[role])
    requests = [
        ({name: value for name in PARAMS}, htmx)
        for value in HOSTILE
        for htmx in (False, True)
    ]
    requests += [({name: value}, False) for value in HOSTILE for name in PARAMS]
    for params, htmx in requests:
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = c.get(URL, params, **headers)
        assert response.status_code == 200, (params, htmx)
        body = response.content.decode()
        assert "<script>alert(1)" not in body and "<img src=x" not in body, params
