"""An administrator imports a messy customer sheet in a real Chromium, at 1440
and 390 px: uploads it, maps the column the import did not recognise by hand
(and saves the mapping), sees the dry run's errors by row and column,
downloads the failed rows, fixes them in a GBK CSV as Excel in China saves
it, imports again through the background task with its progress bar, and
finds the customers exactly as the sheet says."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from customers.models import Customer
from imports.models import ImportJob

from .helpers import DESKTOP, PHONE, horizontal_overflow, login, new_page

pytestmark = pytest.mark.e2e

HEADERS = ["客户名称 ", "客户等级", "省份", "历史合作金额", "主营产品"]
MESSY = [
    ["上海一号科技有限公司", "A", "上海", "50万", "CRM 软件"],
    ["杭州二号网络有限公司", "Z", "浙江", "¥120,000.00", "数据服务"],
    ["北京三号信息有限公司", "B", "北京", "很多钱", "运维"],
]


def xlsx(headers, rows) -> bytes:
    book = Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def gbk_csv(headers, rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue().encode("gbk")


def upload(page, live_server, name, data, mime):
    page.goto(f"{live_server.url}/imports/new/")
    page.select_option("#id_module", "customers")
    page.set_input_files(
        "#id_file", files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    with page.expect_navigation():
        page.click("#upload")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_an_admin_imports_a_messy_sheet_fixes_it_and_imports_it(
    live_server, pages, users, settings, viewport
):
    # Every file goes to the background task (run at once by the test backend).
    settings.CRM_IMPORT_BACKGROUND_BYTES = 10
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/imports/")
    pages.shot(page, "history-empty")
    with page.expect_navigation():
        page.click("#new-import")
    expect(page.locator('[data-template="customers"]')).to_be_visible()

    # A file that is not a spreadsheet is refused under the field.
    upload(page, live_server, "客户.txt", b"hello", "text/plain")
    expect(page.locator("#id_file_error")).to_be_visible()
    pages.shot(page, "refused")

    upload(
        page,
        live_server,
        "客户清单.xlsx",
        xlsx(HEADERS, MESSY),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # The mapping: 客户名称 (with its stray space) and the others are placed,
    # 主营产品 is not: it is mapped by hand, and the mapping saved.
    expect(page.locator("#id_col_0")).to_have_value("name")
    expect(page.locator("#id_col_3")).to_have_value("historical_amount")
    expect(page.locator("#id_col_4")).to_have_value("")
    assert horizontal_overflow(page) == 0
    pages.shot(page, "mapping")
    page.select_option("#id_col_4", "products")
    page.fill("#id_save_as", "客户清单")
    with page.expect_navigation():
        page.click("#check")

    # The dry run: one new, two errors by row and column, nothing imported.
    status = page.locator("#import-status")
    expect(status).to_have_attribute("data-status", "checked")
    expect(page.locator("#count-new")).to_have_text("1")
    expect(page.locator("#count-errors")).to_have_text("2")
    errors = page.locator(".error-table tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td").nth(0)).to_have_text("3")
    expect(errors.nth(0).locator("td").nth(1)).to_have_text("客户等级")
    expect(errors.nth(1).locator("td").nth(0)).to_have_text("4")
    expect(errors.nth(1).locator("td").nth(1)).to_have_text("历史合作金额")
    expect(page.locator("#confirm-import")).to_have_count(0)
    assert horizontal_overflow(page) == 0
    pages.shot(page, "dry-run-errors")
    assert not Customer.objects.exists()

    # The failed rows, as they were, with what is wrong.
    with page.expect_download() as download:
        page.click("#error-file")
    assert download.value.suggested_filename.endswith(".xlsx")
    data = download.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    failed = [[c.value for c in row] for row in sheet.iter_rows()]
    assert failed[0] == [*(h.strip() for h in HEADERS), "错误"]
    assert [row[0] for row in failed[1:]] == [
        "杭州二号网络有限公司",
        "北京三号信息有限公司",
    ]
    assert "客户等级" in failed[1][5] and "历史合作金额" in failed[2][5]

    # Fixed in Excel and saved as CSV (GBK); the saved mapping is picked.
    fixed = [
        MESSY[0],
        ["杭州二号网络有限公司", "C", "浙江", "￥120,000.00", "数据服务"],
        ["北京三号信息有限公司", "B", "北京", "8000", "运维"],
    ]
    upload(page, live_server, "客户清单.csv", gbk_csv(HEADERS, fixed), "text/csv")
    expect(page.locator("#id_col_4")).to_have_value("")
    with page.expect_navigation():
        page.select_option("#id_saved", label="客户清单")
    expect(page.locator("#id_col_4")).to_have_value("products")
    with page.expect_navigation():
        page.click("#check")
    expect(page.locator("#count-new")).to_have_text("3")
    expect(page.locator("#count-errors")).to_have_text("0")
    pages.shot(page, "dry-run-ok")

    # Confirm: the run goes to the task; the bar shows it through to the end.
    with page.expect_navigation():
        page.click("#confirm-import")
    expect(status).to_have_attribute("data-status", "done")
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    expect(page.locator("#progress-percent")).to_have_text("100%")
    assert horizontal_overflow(page) == 0
    pages.shot(page, "done")

    customers = {c.name: c for c in Customer.objects.select_related("region")}
    assert set(customers) == {row[0] for row in fixed}
    assert customers["上海一号科技有限公司"].historical_amount == Decimal("500000")
    assert customers["杭州二号网络有限公司"].historical_amount == Decimal("120000")
    assert customers["杭州二号网络有限公司"].level == "C"
    assert customers["北京三号信息有限公司"].products == "运维"
    assert all(c.owner == users["admin"] for c in customers.values())

    # The history lists both runs, the first with its error file.
    page.goto(f"{live_server.url}/imports/")
    expect(page.locator("#import-list tbody tr")).to_have_count(2)
    assert horizontal_overflow(page) == 0
    pages.shot(page, "history")
    pages.assert_no_browser_errors()


def test_the_progress_bar_follows_a_running_import_until_it_is_done(
    live_server, pages, users
):
    job = ImportJob.objects.create(
        user=users["admin"],
        module="customers",
        filename="大客户清单.xlsx",
        data=b"x",
        headers=["客户名称"],
        mapping={"0": "name"},
        status=ImportJob.Status.RUNNING,
        rows=40000,
        progress_done=16000,
        progress_total=40000,
    )
    for viewport in (DESKTOP, PHONE):
        page = new_page(pages, viewport=viewport)
        login(page, live_server, "admin")
        page.goto(live_server.url + job.get_absolute_url())
        expect(page.locator("#import-progress")).to_have_attribute("value", "40")
        expect(page.locator("#refresh")).to_be_visible()
        assert horizontal_overflow(page) == 0
        pages.shot(page, f"running-{viewport['width']}")
        # The worker moves on; the page follows by itself.
        ImportJob.objects.filter(pk=job.pk).update(progress_done=30000)
        expect(page.locator("#import-progress")).to_have_attribute("value", "75")
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.DONE, progress_done=40000, new=40000
        )
        expect(page.locator("#import-status")).to_have_attribute("data-status", "done")
        expect(page.locator("#count-new")).to_have_text("40000")
        expect(page.locator("#refresh")).to_have_count(0)
        pages.shot(page, f"finished-{viewport['width']}")
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.RUNNING, progress_done=16000
        )
    pages.assert_no_browser_errors()
