"""The reports in Chromium: every chart drawn beside its table at a desktop
width and on a phone, without a CSP violation or a JS error; the figures
readable without JavaScript; the filters and the downloads as links."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import FollowUp
from opportunities.models import Stage
from tests.factories import make_customer, make_followup, make_opportunity, make_ticket

from .helpers import DESKTOP, PHONE, horizontal_overflow, login, new_page

pytestmark = pytest.mark.e2e

REPORTS = ["distribution", "funnel", "team", "value", "service", "actions"]


@pytest.fixture
def data(users):
    rep1, rep2 = users["rep1"], users["rep2"]
    now = timezone.now()
    shanghai = make_customer(
        rep1,
        name="上海远景智能制造股份有限公司",
        region_id="31",
        industry_id="39",
        level="A",
    )
    beijing = make_customer(
        rep2, name="北京海淀云服务有限公司", region_id="11", industry_id="65"
    )
    make_customer(rep1, name="广州天河贸易有限公司", region_id="44", industry_id="51")
    make_opportunity(rep1, shanghai, stage=Stage.WON, amount=Decimal("500000.00"))
    make_opportunity(rep1, shanghai, stage=Stage.PROPOSAL, amount=Decimal("120000.00"))
    make_opportunity(rep2, beijing, stage=Stage.LOST, amount=Decimal("80000.00"))
    make_followup(rep1, shanghai, occurred_at=now - datetime.timedelta(hours=2))
    make_ticket(users["service"], beijing, kind="complaint", priority="high")
    assert FollowUp.objects.count() == 1
    return users


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_report_draws_its_charts_beside_its_tables(
    live_server, pages, data, viewport
):
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "manager")
    name = "desktop" if viewport is DESKTOP else "phone"
    for report in REPORTS:
        page.goto(f"{live_server.url}/reports/{report}/?period=this_year")
        expect(page.locator(".report-table").first).to_be_visible()
        charts = page.locator("[data-chart]")
        for i in range(charts.count()):
            expect(charts.nth(i)).to_have_attribute("data-drawn", "true")
            assert charts.nth(i).locator("canvas").count() == 1
        assert horizontal_overflow(page) == 0, f"{report} scrolls sideways at {name}"
        pages.shot(page, f"{report}-{name}")
    pages.assert_no_browser_errors()


def test_the_map_shades_provinces_and_the_figures_read_without_javascript(
    live_server, pages, data
):
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/reports/distribution/")
    expect(page.locator('[data-chart="province_map"]')).to_have_attribute(
        "data-drawn", "true"
    )
    plain = new_page(pages, viewport=DESKTOP, java_script_enabled=False)
    login(plain, live_server, "manager")
    plain.goto(f"{live_server.url}/reports/distribution/")
    row = plain.locator('[data-table="provinces"] tbody tr').filter(has_text="上海市")
    expect(row).to_contain_text("1")
    expect(plain.locator("#report-figures")).to_contain_text("3")
    pages.assert_no_browser_errors()


def test_a_rep_filters_the_funnel_and_shares_the_url(live_server, pages, data):
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "rep1")
    page.goto(f"{live_server.url}/reports/funnel/")
    page.select_option("#id_period", "this_year")
    page.select_option("#id_stage", "won")
    with page.expect_navigation():
        page.click(".report-filters button[type=submit]")
    assert "stage=won" in page.url and "period=this_year" in page.url
    lead = page.locator('[data-table="stages"] tbody tr').first
    expect(lead).to_contain_text("1")
    # No .xlsx for a rep (only admins export); the JSON keeps the filters.
    expect(page.locator("#report-xlsx")).to_have_count(0)
    href = page.locator("#report-json").get_attribute("href")
    assert "stage=won" in href and "format=json" in href
    # The admin opens the shared URL and downloads it with the same filters.
    shared = page.url
    admin = new_page(pages, viewport=DESKTOP)
    login(admin, live_server, "admin")
    admin.goto(shared)
    href = admin.locator("#report-xlsx").get_attribute("href")
    assert "stage=won" in href and "export=xlsx" in href
    with admin.expect_download() as download:
        admin.click("#report-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    pages.assert_no_browser_errors()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_sets_a_target_and_the_rep_sees_the_progress(
    live_server, pages, data, viewport
):
    rep1 = data["rep1"]
    manager = new_page(pages, viewport=viewport)
    login(manager, live_server, "manager")
    manager.goto(f"{live_server.url}/")
    expect(manager.locator("#panel-dashboard")).to_be_visible()
    pages.shot(manager, "dashboard")
    manager.goto(f"{live_server.url}/reports/targets/")
    manager.fill(f"#id_amount_{rep1.pk}", "100万")
    manager.fill(f"#id_customers_{rep1.pk}", "4")
    pages.shot(manager, "targets")
    with manager.expect_navigation():
        manager.click("#targets-form button[type=submit]")
    expect(manager.locator(f"#id_amount_{rep1.pk}")).to_have_value("1,000,000.00")
    assert horizontal_overflow(manager) == 0
    rep = new_page(pages, viewport=viewport)
    login(rep, live_server, "rep1")
    expect(rep.locator("#panel-target")).to_be_visible()
    # 500,000 won this month of a 1,000,000 target.
    expect(rep.locator("#target-completion")).to_have_text("50.0%")
    expect(rep.locator("#panel-dashboard")).to_have_count(0)
    pages.shot(rep, "rep-workbench")
    assert horizontal_overflow(rep) == 0
    pages.assert_no_browser_errors()


def test_changing_the_period_updates_the_chart_and_its_table(live_server, pages, data):
    from customers.models import Customer

    last_year = timezone.now() - datetime.timedelta(days=400)
    Customer.objects.filter(region_id="44").update(created_at=last_year)
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/reports/distribution/")
    chart = page.locator('[data-chart="province_map"]')
    expect(chart).to_have_attribute("data-drawn", "true")
    guangdong = page.locator('[data-table="provinces"] tbody tr').filter(
        has_text="广东省"
    )

    def charted(province: str) -> int:
        return page.evaluate(
            """name => {
                const data = document.getElementById("report-charts").textContent;
                const map = JSON.parse(data).find(c => c.key === "province_map");
                return map.series[0].values[map.categories.indexOf(name)];
            }""",
            province,
        )

    expect(guangdong.locator("td").nth(3)).to_have_text("1")
    assert charted("广东") == 1
    page.select_option("#id_period", "this_year")
    with page.expect_navigation():
        page.click(".report-filters button[type=submit]")
    assert "period=this_year" in page.url
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(guangdong.locator("td").nth(3)).to_have_text("0")
    assert charted("广东") == 0
    assert charted("上海") == 1
    expect(page.locator("#report-figures")).to_contain_text("2")
    pages.assert_no_browser_errors()


# How far a report table beside a chart scrolls sideways in its box.
TABLE_CUT = """() => Math.max(0, ...[...document.querySelectorAll(
    '.report-body.has-chart .report-table-wrap')]
    .map(el => el.scrollWidth - el.clientWidth))"""


def test_in_english_the_tables_beside_charts_show_every_column(
    live_server, pages, data
):
    # English headings ("Conversion to the next stage") are long: they wrap
    # rather than push the funnel's "Average days in the stage" out of view.
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "manager")
    with page.expect_navigation():
        page.select_option("#lang", "en")
    for report in REPORTS:
        page.goto(f"{live_server.url}/reports/{report}/?period=this_year")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator(".report-table").first).to_be_visible()
        assert page.evaluate(TABLE_CUT) == 0, f"{report}: a table is cut"
        pages.shot(page, f"en-{report}")
    pages.assert_no_browser_errors()
