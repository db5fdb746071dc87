"""A complaint through its whole loop in a real Chromium, at 1440 and 390 px:
a service user opens it from the customer's page, assigns it, works it,
resolves it with a resolution, closes it with the customer's score and
reopens it; a forged illegal step is refused with a message."""

import re

import pytest
from playwright.sync_api import expect

from followups.models import Ticket

from .helpers import DESKTOP, PHONE, horizontal_overflow, login, new_page

pytestmark = pytest.mark.e2e

TICKET_URL = re.compile(r"/tickets/(S\d{11,})/$")


def post_step(page, step: str):
    with page.expect_navigation():
        page.locator(f'button[data-step="{step}"]').click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_service_runs_a_complaint_through_its_loop(
    live_server, pages, users, rep1_customer, viewport
):
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "service")

    # From the customer's page: its ticket card offers "new ticket".
    page.goto(live_server.url + rep1_customer.get_absolute_url())
    card = page.locator("#section-tickets")
    expect(card).to_be_visible()
    with page.expect_navigation():
        card.locator("#new-ticket").click()
    expect(page.locator("#id_customer")).to_have_value(rep1_customer.customer_no)
    page.fill("#id_subject", "发票金额与合同不符")
    page.select_option("#id_kind", "complaint")
    page.select_option("#id_priority", "high")
    page.select_option("#id_contact", label="张伟（采购总监）")
    page.fill("#id_description", "客户投诉本季度账单多收 3,200 元。")
    pages.shot(page, "new-ticket-form")
    with page.expect_navigation():
        page.click(".form-actions button[type=submit]")
    expect(page).to_have_url(TICKET_URL)
    ticket_no = TICKET_URL.search(page.url).group(1)
    expect(page.locator(".page-head h1")).to_have_text("发票金额与合同不符")
    assert horizontal_overflow(page) == 0
    pages.shot(page, "opened")

    # Assign it to a sales colleague, who is pulled in.
    page.select_option("#assign-assignee", label="rep2")
    with page.expect_navigation():
        page.click("#assign-submit")
    expect(page.locator("#ticket-assignee")).to_have_text("rep2")

    # A forged step the status does not allow (closing a new ticket) is refused.
    page.locator('button[data-step="start"]').evaluate(
        "b => { b.form.querySelector('input[name=action]').value = 'close'; }"
    )
    post_step(page, "start")
    expect(page.locator(".message-error")).to_contain_text("新建")
    assert Ticket.objects.get(ticket_no=ticket_no).status == "new"
    pages.shot(page, "illegal-step-refused")

    # Work it; resolving asks for the resolution.
    post_step(page, "start")
    expect(page.locator(".page-head .tstatus")).to_have_text("处理中")
    page.locator('summary[data-step="resolve"]').click()
    with page.expect_navigation():
        page.click("#resolve-submit")
    expect(page.locator("#resolve .field.has-error .error")).to_be_visible()
    pages.shot(page, "resolution-required")
    page.fill("#resolve-resolution", "已核对账单，退还差额并书面致歉。")
    with page.expect_navigation():
        page.click("#resolve-submit")
    expect(page.locator(".page-head .tstatus")).to_have_text("已解决")
    expect(page.locator("#ticket-resolution")).to_contain_text("退还差额")

    # Close with the customer's score.
    page.locator('summary[data-step="close"]').click()
    page.check('#close input[name="satisfaction"][value="4"]')
    pages.shot(page, "closing")
    with page.expect_navigation():
        page.click("#close-submit")
    expect(page.locator(".page-head .tstatus")).to_have_text("已关闭")
    expect(page.locator("#ticket-satisfaction")).to_have_text("4 / 5")
    stored = Ticket.objects.get(ticket_no=ticket_no)
    assert (stored.status, stored.satisfaction) == ("closed", 4)
    assert stored.closed_at is not None and stored.resolved_at is not None

    # Reopen: back in progress, the score and time stamps cleared.
    post_step(page, "reopen")
    expect(page.locator(".page-head .tstatus")).to_have_text("处理中")
    stored.refresh_from_db()
    assert (stored.status, stored.satisfaction, stored.closed_at) == (
        "in_progress",
        None,
        None,
    )

    # A comment goes onto the timeline in place (htmx), with the status steps.
    page.fill("#comment-body", "客户来电确认仍有一笔差额未退。")
    page.click("#comment-submit")
    timeline = page.locator("#ticket-timeline")
    expect(timeline.locator(".tl-comment")).to_contain_text("仍有一笔差额")
    expect(timeline.locator(".tl-event")).to_have_count(6)
    expect(page.locator("#comment-body")).to_have_value("")
    assert stored.comments.count() == 1
    assert horizontal_overflow(page) == 0
    pages.shot(page, "reopened-with-comment")

    # The customer's card lists it, open, with its priority and status.
    page.goto(live_server.url + rep1_customer.get_absolute_url())
    row = page.locator("#section-tickets .ticket-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("发票金额与合同不符")
    expect(row.locator(".tstatus")).to_have_text("处理中")
    row.scroll_into_view_if_needed()
    pages.shot(page, "customer-card")

    # The queue lists it (rep2 works it now, so under "all", not "mine").
    page.goto(f"{live_server.url}/tickets/?tab=all")
    expect(page.locator(".ticket-list tbody tr")).to_have_count(1)
    expect(page.locator(".ticket-list td.col-subject")).to_contain_text(ticket_no)
    assert horizontal_overflow(page) == 0
    pages.shot(page, "queue")
    pages.assert_no_browser_errors()


def test_the_queue_filters_in_place_and_works_without_js(
    live_server, pages, users, rep1_customer
):
    from tests import factories

    service = users["service"]
    factories.make_ticket(service, rep1_customer, subject="咨询发票", kind="question")
    factories.make_ticket(service, rep1_customer, subject="上门培训", kind="request")
    page = new_page(pages, viewport=DESKTOP)
    login(page, live_server, "service")
    page.goto(f"{live_server.url}/tickets/")
    rows = page.locator(".ticket-list tbody tr")
    expect(rows).to_have_count(2)
    page.select_option("#id_kind", "question")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"kind=question"))
    expect(page.locator(".ticket-list")).to_contain_text("咨询发票")
    # The tabs keep the filters.
    with page.expect_navigation():
        page.click('#queue-tabs a[data-tab="unassigned"]')
    expect(page).to_have_url(re.compile(r"tab=unassigned"))
    expect(page).to_have_url(re.compile(r"kind=question"))
    expect(rows).to_have_count(1)
    pages.shot(page, "queue-filtered")

    # A new ticket typed without a customer: its contacts load once the
    # customer's ID is entered (htmx swaps the contact field).
    page.goto(f"{live_server.url}/tickets/new/")
    expect(page.locator("#id_contact option")).to_have_count(1)
    page.fill("#id_customer", rep1_customer.customer_no)
    page.locator("#id_customer").press("Tab")
    expect(page.locator("#id_contact option")).to_have_count(2)
    expect(page.locator("#id_contact")).to_contain_text("张伟（采购总监）")

    plain = new_page(pages, viewport=PHONE, java_script_enabled=False)
    login(plain, live_server, "service")
    plain.goto(f"{live_server.url}/tickets/?kind=request")
    expect(plain.locator(".ticket-list tbody tr")).to_have_count(1)
    ticket = Ticket.objects.get(subject="上门培训")
    plain.goto(live_server.url + ticket.get_absolute_url())
    plain.fill("#comment-body", "无脚本也能评论")
    with plain.expect_navigation():
        plain.click("#comment-submit")
    expect(plain.locator(".tl-comment")).to_contain_text("无脚本也能评论")
    pages.shot(plain, "comment-without-js")
    pages.assert_no_browser_errors()
