"""'Export this view' in a real Chromium: it follows the filters htmx applied."""

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from crm.models import SecurityEvent

from .helpers import login

pytestmark = pytest.mark.e2e

ROWS = "#results table.table-list tbody tr"


def test_export_link_follows_the_filters_changed_through_htmx(
    live_server, pages, page, users, make_customer
):
    # Given three customers, two of level A, one of them in 杭州
    wanted = make_customer(users["rep1"], name="杭州甲级科技有限公司", level="A")
    make_customer(users["rep1"], name="上海甲级科技有限公司", level="A")
    make_customer(users["rep2"], name="杭州丙级科技有限公司", level="C")
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator(ROWS)).to_have_count(3)
    link = page.locator("#export-link")
    expect(link).to_have_attribute("href", "/customers/export/?")

    # When the admin picks level A and searches 杭州 in the filter bar (htmx
    # swaps the results; the page is not reloaded)
    page.evaluate("window.notReloaded = true")
    page.select_option("#id_level", "A")
    expect(page.locator(ROWS)).to_have_count(2)
    expect(link).to_have_attribute("href", re.compile(r"[?&]level=A(&|$)"))
    page.fill("#id_q", "杭州")
    page.locator("#id_q").press("Enter")
    expect(page.locator(ROWS)).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True

    # Then the export link names exactly the filters on screen, which are also
    # those of the URL htmx pushed
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    query = urlsplit(href).query
    assert urlsplit(href).path == "/customers/export/"
    assert "level=A" in query and "q=%E6%9D%AD%E5%B7%9E" in query
    assert urlsplit(page.url).query == query

    # and a menu opened while results load stays open, its links following
    # the new filters (only its panel is swapped in out of band)
    page.locator("#export-menu > summary").click()
    page.select_option("#id_level", "")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(link).not_to_have_attribute("href", re.compile(r"[?&]level=A(&|$)"))
    expect(page.locator("#export-menu[open]")).to_have_count(1)
    page.select_option("#id_level", "A")
    expect(link).to_have_attribute("href", "/customers/export/?" + query)

    # and the file it downloads from the export menu holds exactly the
    # filtered row, as CSV and as .xlsx
    with page.expect_download() as download_info:
        link.click()
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["客户ID"] for row in rows] == [wanted.customer_no]
    if not page.locator("#export-menu[open]").count():
        page.locator("#export-menu > summary").click()
    with page.expect_download() as download_info:
        page.locator("#export-link-xlsx").click()
    book = load_workbook(io.BytesIO(download_info.value.path().read_bytes()))
    assert [r[0] for r in book.active.iter_rows(min_row=2, values_only=True)] == [
        wanted.customer_no
    ]

    # and the security log records that query and that count
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT).first()
    assert event.actor == users["admin"]
    assert event.rows == 1
    assert event.detail["query"] == query
    pages.assert_no_browser_errors()
