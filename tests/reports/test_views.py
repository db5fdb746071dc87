"""The report pages as a user meets them: the page, its .xlsx and JSON
downloads holding the same figures, the filters in the URL, bad input, and
who opens what (the full role × URL table is in test_permission_matrix)."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.models import SecurityEvent
from tests import factories
from tests.factories import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(users):
    factories.make_customer(users["rep1"], name="甲公司", region_id="31", level="A")
    factories.make_customer(users["rep1"], name="乙公司", region_id="31")
    factories.make_customer(users["rep2"], name="丙公司", region_id="11")


def get_json(client, name, **params):
    response = client.get(reverse(f"reports:{name}"), {**params, "format": "json"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def province_count(data, code):
    return next(
        r["count"] for r in data["tables"]["provinces"]["rows"] if r["code"] == code
    )


def test_json_holds_the_figures_the_viewer_may_see(client, users, customers):
    manager = get_json(client_for(client, users["manager"]), "distribution")
    assert manager["report"] == "distribution"
    assert manager["figures"][0]["value"] == 3
    assert province_count(manager, "31") == 2
    rep1 = get_json(client_for(client, users["rep1"]), "distribution")
    assert rep1["figures"][0]["value"] == 2
    assert province_count(rep1, "11") == 0


def test_the_page_shows_the_same_figures_and_embeds_the_chart_data(
    client, users, customers
):
    page = client_for(client, users["manager"]).get(reverse("reports:distribution"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-charts"' in html
    assert 'data-chart="province_map"' in html
    assert "上海市" in html
    charts = json.loads(
        html.split('id="report-charts" type="application/json">')[1].split("</script>")[
            0
        ]
    )
    chart = next(c for c in charts if c["key"] == "province_map")
    shanghai = chart["categories"].index("上海")
    assert chart["series"][0]["values"][shanghai] == 2


def test_filters_are_query_parameters_and_narrow_the_figures(client, users, customers):
    c = client_for(client, users["manager"])
    data = get_json(c, "distribution", region="31", level="A")
    assert data["figures"][0]["value"] == 1
    assert data["filters"]["region"] == "31"
    assert data["filters"]["level"] == "A"


def test_xlsx_has_the_filters_at_the_top_and_the_same_figures(client, users, customers):
    c = client_for(client, users["admin"])
    response = c.get(
        reverse("reports:distribution"), {"region": "31", "export": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    header = [v for row in cells[:8] for v in row if v is not None]
    assert "上海市" in header  # the region filter, written at the top
    # The provinces table: 上海市 with its count as a number.
    shanghai = next(row for row in cells if row[0] == "31")
    assert shanghai[1] == "上海市"
    assert 2 in shanghai
    event = SecurityEvent.objects.get(kind="export")
    assert event.target == "report:distribution"
    assert event.actor == users["admin"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("manager", 403),
        ("rep1", 403),
        ("service", 403),
        ("success", 403),
    ],
)
def test_only_admins_download_a_report(client, users, customers, role, status):
    """DESIGN §4: only admins export. The others keep the page and its JSON
    (the figures they already see) but get no button and no file."""
    c = client_for(client, users[role])
    url = reverse("reports:service")
    response = c.get(url, {"period": "this_year", "export": "xlsx"})
    assert response.status_code == status
    assert SecurityEvent.objects.filter(kind="export").exists() == (status == 200)
    page = c.get(url, {"period": "this_year"}).content.decode()
    assert ('id="report-xlsx"' in page) == (status == 200)
    assert c.get(url, {"format": "json"}).status_code == 200


def test_bad_filters_are_shown_next_to_the_field_and_nothing_is_computed(
    client, users, customers
):
    c = client_for(client, users["manager"])
    response = c.get(
        reverse("reports:distribution"),
        {"period": "custom", "start": "2026-12-01", "end": "2026-01-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="filter-error-end"' in html
    assert 'id="report-charts"' not in html
    response = c.get(reverse("reports:distribution"), {"owner": "x", "format": "json"})
    assert response.status_code == 400
    assert "owner" in json.loads(response.content)["errors"]


def test_html_in_a_customer_name_is_shown_as_text(client, users):
    customer = factories.make_customer(users["manager"], name="<b>坏</b>公司")
    factories.make_customer(users["manager"], name="正常公司")
    from customers.models import Customer

    Customer.objects.filter(pk=customer.pk).update(historical_amount=10)
    html = (
        client_for(client, users["manager"])
        .get(reverse("reports:value"))
        .content.decode()
    )
    assert "<b>坏</b>" not in html
    assert "&lt;b&gt;坏&lt;/b&gt;公司" in html


def test_the_index_lists_only_the_reports_a_role_opens(client, users):
    service = client_for(client, users["service"]).get(reverse("reports:index"))
    assert service.status_code == 200
    html = service.content.decode()
    assert 'id="report-service"' in html
    assert 'id="report-funnel"' not in html
    assert 'id="report-targets"' not in html
    manager = client_for(client, users["manager"]).get(reverse("reports:index"))
    assert 'id="report-targets"' in manager.content.decode()


def test_the_navigation_shows_reports_to_the_roles_with_one(client, users):
    html = client_for(client, users["service"]).get("/").content.decode()
    assert reverse("reports:index") in html


def test_a_sortable_table_sorts_by_the_requested_column(client, users, customers):
    c = client_for(client, users["manager"])
    data = get_json(c, "team", sort="new_customers")
    counts = [r["new_customers"] for r in data["tables"]["users"]["rows"]]
    assert counts == sorted(counts)
    data = get_json(c, "team", sort="-new_customers")
    counts = [r["new_customers"] for r in data["tables"]["users"]["rows"]]
    assert counts == sorted(counts, reverse=True)
    # An unknown sort is ignored, never a 500.
    assert c.get(reverse("reports:team"), {"sort": "password"}).status_code == 200


def test_a_reps_json_and_page_hold_only_the_reps_own_figures(client, users):
    from opportunities.models import Stage

    mine = factories.make_customer(users["rep1"], name="甲方一号")
    theirs = factories.make_customer(users["rep2"], name="乙方二号")
    factories.make_opportunity(users["rep1"], mine, stage=Stage.WON, amount=111111)
    factories.make_opportunity(users["rep2"], theirs, stage=Stage.WON, amount=999999)
    c = client_for(client, users["rep1"])
    for report in ("team", "value", "funnel"):
        data = get_json(c, report, period="this_year")
        text = json.dumps(data, ensure_ascii=False)
        assert "999999" not in text and "rep2" not in text, report
        page = c.get(reverse(f"reports:{report}"), {"period": "this_year"})
        html = page.content.decode()
        assert "999,999" not in html and "乙方二号" not in html, report
        # A rep downloads nothing (DESIGN §4: only admins export).
        book = c.get(
            reverse(f"reports:{report}"), {"period": "this_year", "export": "xlsx"}
        )
        assert book.status_code == 403, report
    team = get_json(c, "team", period="this_year")
    assert [r["user"] for r in team["tables"]["users"]["rows"]] == ["rep1"]
    assert team["tables"]["users"]["rows"][0]["won_amount"] == "111111.00"
