"""Full-page screenshots of every page each demo role can open, at 1440 and 390 px.

The screens land in test-artifacts/screens-<role>-<page>-<width>.png for people to
look at; the test itself checks what a machine can: the status, no CSP violation
or JS error, no text squeezed one character per line, and no sideways scrolling
of the page on a phone.

`SCREENS` is the list to extend: a module adding pages adds its rows (the
address is built from `Demo`, the data every screen can use).
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from customers import services
from customers.models import Customer

from .helpers import (
    DESKTOP,
    PASSWORD,
    PHONE,
    horizontal_overflow,
    login,
    new_page,
    screenshot,
    showcase_customer,
    squeezed_text,
)

pytestmark = pytest.mark.e2e

# Demo role → the demo user who plays it (seed_demo's usernames).
ROLE_USERS = {
    "admin": "admin",
    "manager": "manager",
    "rep": "rep1",
    "service": "service",
    "success": "success",
}
EVERYONE = tuple(ROLE_USERS)
EDITORS = ("admin", "manager", "rep")  # may create, edit and share rep1's customers


@dataclass(frozen=True)
class Demo:
    """The data the screens are built from."""

    users: dict[str, User]
    customer: Customer  # rep1's, managed by `success`, shared with rep2
    trashed: Customer


def merge_url(demo: Demo) -> str:
    """The merge page for the showcase customer and another demo customer."""
    other = Customer.objects.exclude(pk=demo.customer.pk).order_by("pk").first()
    keep, drop = demo.customer.customer_no, other.customer_no
    return reverse("customers:customer_merge") + f"?keep={keep}&drop={drop}"


def customer_url(name: str) -> Callable[[Demo], str]:
    return lambda demo: reverse(name, args=[demo.customer.customer_no])


@dataclass(frozen=True)
class Screen:
    name: str
    url: Callable[[Demo], str]
    roles: tuple[str, ...]
    status: int = 200


SCREENS = [
    Screen("workbench", lambda d: reverse("crm:workbench"), EVERYONE),
    Screen("customers", lambda d: reverse("customers:customer_list"), EVERYONE),
    Screen("customer-detail", lambda d: d.customer.get_absolute_url(), EVERYONE),
    Screen("customer-new", lambda d: reverse("customers:customer_create"), EDITORS),
    Screen("customer-edit", customer_url("customers:customer_update"), EDITORS),
    Screen(
        "customer-renewal",
        customer_url("customers:customer_renewal"),
        ("admin", "manager", "success"),
    ),
    Screen("customer-share", customer_url("customers:customer_share"), EDITORS),
    Screen("customer-delete", customer_url("customers:customer_delete"), ("admin",)),
    Screen("trash", lambda d: reverse("customers:customer_trash"), ("admin",)),
    Screen(
        "customer-duplicates",
        lambda d: reverse("customers:customer_duplicates"),
        ("admin", "manager"),
    ),
    Screen("customer-merge", lambda d: merge_url(d), ("admin", "manager")),
    Screen(
        "notifications",
        lambda d: reverse("notifications:notification_list"),
        EVERYONE,
    ),
    # Settings (administration and each module's sections), admins only.
    Screen("settings", lambda d: reverse("administration:index"), ("admin",)),
    Screen(
        "settings-custom-fields",
        lambda d: reverse("administration:customfield_list"),
        ("admin",),
    ),
    Screen(
        "settings-custom-field-new",
        lambda d: reverse("administration:customfield_create"),
        ("admin",),
    ),
    Screen(
        "settings-tags", lambda d: reverse("customer_settings:tag_list"), ("admin",)
    ),
    Screen(
        "settings-tag-merge",
        lambda d: reverse("customer_settings:tag_merge"),
        ("admin",),
    ),
    Screen("settings-users", lambda d: reverse("administration:user_list"), ("admin",)),
    Screen(
        "settings-user-edit",
        lambda d: reverse("administration:user_update", args=[d.users["rep1"].pk]),
        ("admin",),
    ),
    Screen(
        "settings-company",
        lambda d: reverse("administration:company_update"),
        ("admin",),
    ),
    # The app's own error pages, as a role meets them.
    Screen(
        "not-allowed",
        customer_url("customers:customer_update"),
        ("service",),
        status=403,
    ),
    Screen(
        "settings-not-allowed",
        lambda d: reverse("administration:index"),
        ("manager",),
        status=403,
    ),
    Screen(
        "not-found",
        lambda d: reverse("customers:customer_detail", args=["C19990101999"]),
        ("rep",),
        status=404,
    ),
    # Service tickets: the queue (and its overdue tab), a ticket of one of
    # rep1's customers, the forms of those who work tickets.
    Screen("tickets", lambda d: reverse("tickets:ticket_list"), EVERYONE),
    Screen(
        "tickets-overdue",
        lambda d: reverse("tickets:ticket_list") + "?tab=overdue",
        ("admin", "service"),
    ),
    Screen(
        "ticket-detail",
        lambda d: demo_ticket(d).get_absolute_url(),
        ("admin", "manager", "rep", "service"),
    ),
    Screen(
        "ticket-new",
        lambda d: (
            reverse("tickets:ticket_create") + f"?customer={d.customer.customer_no}"
        ),
        ("admin", "service"),
    ),
    Screen(
        "ticket-edit",
        lambda d: reverse("tickets:ticket_update", args=[demo_ticket(d).ticket_no]),
        ("admin", "service"),
    ),
    # Follow-ups: the list, the agenda of those who log them, one of rep1's
    # (seed_demo makes them) and its forms, the log form on the showcase.
    Screen("followups", lambda d: reverse("followups:followup_list"), EVERYONE),
    Screen(
        "agenda", lambda d: reverse("followups:agenda"), ("manager", "rep", "success")
    ),
    Screen(
        "followup-detail",
        lambda d: demo_followup(d).get_absolute_url(),
        ("admin", "manager", "rep", "service"),
    ),
    Screen(
        "followup-new",
        lambda d: (
            reverse("followups:followup_create") + f"?customer={d.customer.customer_no}"
        ),
        ("admin", "manager", "rep", "success"),
    ),
    Screen(
        "followup-edit",
        lambda d: reverse(
            "followups:followup_update", args=[demo_followup(d).record_no]
        ),
        EDITORS,
    ),
    Screen(
        "followup-delete",
        lambda d: reverse(
            "followups:followup_delete", args=[demo_followup(d).record_no]
        ),
        ("admin", "manager"),
    ),
    Screen(
        "followup-trash",
        lambda d: reverse("followups:followup_trash"),
        ("admin", "manager"),
    ),
    # Opportunities: the list (customer success reads their customers'), the
    # board, a won deal of the showcase customer with payments and a
    # follow-up, the forms of those who work deals.
    Screen(
        "opportunities",
        lambda d: reverse("opportunities:opportunity_list"),
        ("manager", "rep", "success"),
    ),
    Screen(
        "opportunity-board",
        lambda d: reverse("opportunities:opportunity_board"),
        ("manager", "rep"),
    ),
    Screen(
        "opportunity-detail",
        lambda d: demo_opportunity(d).get_absolute_url(),
        ("manager", "rep", "success"),
    ),
    Screen(
        "opportunity-new",
        lambda d: (
            reverse("opportunities:opportunity_create")
            + f"?customer={d.customer.customer_no}"
        ),
        ("manager", "rep"),
    ),
    Screen(
        "opportunity-edit",
        lambda d: reverse(
            "opportunities:opportunity_update", args=[demo_opportunity(d).opp_no]
        ),
        ("manager", "rep"),
    ),
    # Imports (admins): the history, the upload, a checked file's mapping
    # and its dry run with errors and possible duplicates.
    Screen("imports", lambda d: reverse("imports:import_list"), ("admin",)),
    Screen("import-new", lambda d: reverse("imports:import_create"), ("admin",)),
    Screen(
        "import-mapping",
        lambda d: reverse("imports:import_mapping", args=[demo_import(d).pk]),
        ("admin",),
    ),
    Screen("import-checked", lambda d: demo_import(d).get_absolute_url(), ("admin",)),
]


def demo_import(demo: "Demo"):
    """The admin's checked import of a customer sheet with errors and a
    possible duplicate (made on first use)."""
    from imports.models import ImportJob

    found = ImportJob.objects.filter(filename="2024年华东区客户清单.xlsx").first()
    if found is not None:
        return found
    headers = ["客户名称", "客户等级", "省份", "历史合作金额", "主营产品及服务说明"]
    return ImportJob.objects.create(
        user=demo.users["admin"],
        module="customers",
        filename="2024年华东区客户清单.xlsx",
        data=b"x",
        headers=headers,
        sample=[
            ["深圳市前海微众智能制造科技股份有限公司", "A", "广东", "50万", "CRM"],
            ["杭州二号网络有限公司", "Z", "浙江", "很多钱", "数据服务、运维"],
        ],
        mapping={"0": "name", "1": "level", "2": "region", "3": "historical_amount"},
        status=ImportJob.Status.CHECKED,
        rows=120,
        new=96,
        updated=21,
        unchanged=1,
        error_count=2,
        note_count=1,
        errors=[
            {
                "row": 3,
                "column": "客户等级",
                "message": "“Z”不是可选值之一：A、B、C、D。",
            },
            {
                "row": 3,
                "column": "历史合作金额",
                "message": "请输入金额，例如 500000、500,000.00、¥500,000 或 50万。",
            },
        ],
        notes=[{"row": 2, "message": "与已有客户 C20240315001 的联系电话相同。"}],
        error_file=b"x",
    )


def demo_followup(demo: "Demo"):
    """rep1's first demo follow-up with a plan (seed_demo makes them)."""
    from followups.models import FollowUp

    return FollowUp.objects.filter(
        user=demo.users["rep1"], next_at__isnull=False
    ).earliest("id")


def demo_ticket(demo: "Demo"):
    """The demo's first ticket on a customer rep1 may see (seed_demo makes them)."""
    from followups.models import Ticket

    return Ticket.objects.for_user(demo.users["rep1"]).earliest("id")


def demo_opportunity(demo: "Demo"):
    """rep1's won deal on the showcase customer, with a partial payment, a
    competitor and a follow-up logged on it (made on first use)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from followups import services as followup_services
    from opportunities import services as opportunity_services
    from opportunities.models import Opportunity

    found = Opportunity.objects.filter(customer=demo.customer).first()
    if found is not None:
        return found
    rep1 = demo.users["rep1"]
    deal = opportunity_services.opportunity_create(
        actor=rep1,
        customer=demo.customer,
        data={
            "name": "CRM 企业版二期扩容及数据中台建设项目",
            "amount": Decimal("1280000.00"),
            "expected_close_date": timezone.localdate() + datetime.timedelta(days=20),
            "competitor": "销售易",
            "competitor_focus": "实施周期、本地化部署",
        },
        stage="negotiation",
    )
    deal = opportunity_services.opportunity_move(
        actor=rep1, opportunity=deal, stage="won", expected_version=deal.version
    )
    opportunity_services.payment_add(
        actor=rep1,
        opportunity=deal,
        data={
            "amount": Decimal("384000.00"),
            "received_on": timezone.localdate(),
            "method": "bank",
            "note": "首付款 30%",
        },
    )
    followup_services.followup_create(
        actor=rep1,
        customer=demo.customer,
        data={
            "opportunity": deal,
            "method": "meeting",
            "content": "与首席信息官确认二期范围和验收标准，合同已盖章。",
            "feedback": "希望下月初开始实施。",
        },
    )
    return deal


def build_demo() -> Demo:
    # seed_demo makes the demo users with their Chinese names and a realistic
    # set of customers, so the lists and panels look as users will see them.
    call_command("seed_demo", password=PASSWORD, customers=30, stdout=io.StringIO())
    users = {u.username: u for u in User.objects.all()}
    customer = showcase_customer(users)
    trashed = services.customer_create(
        actor=users["rep1"],
        data={"name": "已删除的演示客户有限公司", "owner": users["rep1"]},
        tags=[],
        contacts=[],
    )
    services.customer_delete(actor=users["admin"], customer=trashed)
    return Demo(users=users, customer=customer, trashed=trashed)


# How far a list table scrolls sideways inside its box (0: every column shows).
LIST_CUT = """() => Math.max(0, ...[...document.querySelectorAll('.list-table-wrap')]
    .map(el => el.scrollWidth - el.clientWidth))"""


def test_screenshots_of_every_page_each_role_opens(live_server, pages):
    for screen in SCREENS:
        assert screen.roles and set(screen.roles) <= set(ROLE_USERS), screen.name
    # One database and one browser for all roles; each role in its own context.
    demo = build_demo()
    problems = []
    for role, username in ROLE_USERS.items():
        page = new_page(pages, viewport=DESKTOP)
        login(page, live_server, username, PASSWORD)
        screens = [s for s in SCREENS if role in s.roles]
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            width = viewport["width"]
            for screen in screens:
                response = page.goto(live_server.url + screen.url(demo))
                where = f"{role} {screen.name} {width}"
                if response.status != screen.status:
                    problems.append(f"{where}: status {response.status}")
                screenshot(page, f"screens-{role}-{screen.name}-{width}")
                if width == PHONE["width"] and (extra := horizontal_overflow(page)):
                    problems.append(f"{where}: {extra} px wider than the phone")
                if width == DESKTOP["width"] and (cut := page.evaluate(LIST_CUT)):
                    problems.append(f"{where}: the list scrolls sideways by {cut} px")
                problems += [f"{where}: {text}" for text in squeezed_text(page)]
        page.context.close()
    assert problems == []
    pages.assert_no_browser_errors()


def test_screenshot_of_the_login_page(live_server, pages):
    page = new_page(pages, viewport=DESKTOP)
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        response = page.goto(f"{live_server.url}{reverse('login')}")
        assert response.status == 200
        screenshot(page, f"screens-anonymous-login-{viewport['width']}")
        assert horizontal_overflow(page) == 0
    pages.assert_no_browser_errors()
