"""Follow-ups in the browser, on a laptop and on a phone: a rep logs a follow-up
with a next plan from the customer page, finds the plan on the agenda, logs
it from there ("log this follow-up") and marks another one done; customer
service reads follow-ups but cannot edit them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from tests.factories import make_customer, make_followup, make_users

from .helpers import DESKTOP, PHONE, horizontal_overflow, login, new_page

pytestmark = pytest.mark.e2e

VIEWPORTS = [pytest.param(DESKTOP, id="1440"), pytest.param(PHONE, id="390")]


def local_input(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def soon() -> datetime.datetime:
    """A plan time later today when there is room, else tomorrow morning."""
    now = timezone.localtime()
    later = now + datetime.timedelta(hours=1)
    return later if later.date() == now.date() else now + datetime.timedelta(hours=9)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_rep_logs_a_plan_and_completes_it_from_the_agenda(
    live_server, pages, viewport
):
    users = make_users()
    customer = make_customer(users["rep1"], name="苏州工业园区测试科技有限公司")
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "rep1")

    # On the customer page, rep1 opens the log form
    page.goto(live_server.url + customer.get_absolute_url())
    page.click("#log-followup")
    page.wait_for_url("**/followups/new/?customer=*")
    assert page.locator("#id_occurred_at").input_value()  # defaults to now
    page.click("label[for=id_method_2]")  # 面谈, a big button
    page.fill("#id_content", "上门演示报表模块，客户很感兴趣")
    page.fill("#id_feedback", "希望下周拿到报价")
    # The plan's fields appear when the switch is ticked
    assert not page.locator("#id_next_at").is_visible()
    page.check("#id_has_plan")
    assert page.locator("#id_next_at").is_visible()
    page.fill("#id_next_at", local_input(soon()))
    page.fill("#id_next_goal", "发送报价单")
    if viewport == PHONE:
        assert horizontal_overflow(page) == 0
    pages.shot(page, "log-form")
    with page.expect_navigation():
        page.click("#save-followup")

    # Back on the customer page, the timeline shows it
    assert page.url.endswith(customer.get_absolute_url())
    card = page.locator("#followups")
    assert "上门演示报表模块" in card.inner_text()
    pages.shot(page, "customer-timeline")
    plan = FollowUp.objects.get(customer=customer)
    assert plan.method == "meeting" and plan.next_goal == "发送报价单"

    # The agenda lists the plan; "log this follow-up" opens the form from it
    page.goto(live_server.url + reverse("followups:agenda"))
    item = page.locator(f"#plan-{plan.record_no}")
    assert "发送报价单" in item.inner_text()
    if viewport == PHONE:
        assert horizontal_overflow(page) == 0
    pages.shot(page, "agenda")
    item.locator("[data-log-plan]").click()
    page.wait_for_url("**/followups/new/?plan=**")
    assert "发送报价单" in page.locator(".plan-note").inner_text()
    page.fill("#id_content", "电话确认报价已收到")
    pages.shot(page, "log-from-plan")
    with page.expect_navigation():
        page.click("#save-followup")

    # Back on the agenda: the plan is done and gone
    assert page.url.endswith(reverse("followups:agenda"))
    assert page.locator(f"#plan-{plan.record_no}").count() == 0
    plan.refresh_from_db()
    assert plan.next_done
    assert FollowUp.objects.filter(content="电话确认报价已收到").exists()

    # "Done" without logging, for an overdue plan
    overdue = make_followup(
        users["rep1"],
        customer,
        next_at=timezone.now() - datetime.timedelta(days=1),
        next_owner=users["rep1"],
        next_goal="补发合同",
    )
    page.reload()
    overdue_item = page.locator(f"#agenda-overdue #plan-{overdue.record_no}")
    assert overdue_item.count() == 1
    pages.shot(page, "agenda-overdue")
    with page.expect_navigation():
        overdue_item.locator("[data-complete-plan]").click()
    assert page.locator(f"#plan-{overdue.record_no}").count() == 0
    overdue.refresh_from_db()
    assert overdue.next_done
    pages.assert_no_browser_errors()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_customer_service_cannot_edit_a_follow_up(live_server, pages, viewport):
    users = make_users()
    customer = make_customer(users["rep1"])
    followup = make_followup(users["rep1"], customer, content="客户询问发票")
    page = new_page(pages, viewport=viewport)
    login(page, live_server, "service")
    page.goto(live_server.url + followup.get_absolute_url())
    assert "客户询问发票" in page.locator("main").inner_text()
    assert page.locator("#edit-followup").count() == 0
    pages.shot(page, "service-detail")
    response = page.goto(
        live_server.url
        + reverse("followups:followup_update", args=[followup.record_no])
    )
    assert response.status == 403
    # No log button on the customer page either
    page.goto(live_server.url + customer.get_absolute_url())
    assert page.locator("#followups").count() == 1
    assert page.locator("#log-followup").count() == 0
    pages.assert_no_browser_errors()
