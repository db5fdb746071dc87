"""Steps the browser tests share; selectors use ids, names and roles, not text.

The UI is Chinese-first but its translations are still being written, so the
tests avoid asserting on translated strings.
"""

import re
from pathlib import Path

from customers.validators import credit_code_check_char

PASSWORD = "pw-12345-test"
# C + yyyymmdd + 3-digit daily sequence, e.g. C20240315001.
CUSTOMER_NO = re.compile(r"C\d{8}\d{3}")
CUSTOMER_URL = re.compile(r"/customers/(C\d{8}\d{3})/$")


def credit_code(first17: str = "91330100MA27XK9X5") -> str:
    return first17 + credit_code_check_char(first17)


def login(page, live_server, username: str, password: str = PASSWORD):
    """Log in through the login form; returns once the workbench has loaded."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click(".login-card button[type=submit]")
    assert "/accounts/login/" not in page.url, f"logging in as {username} failed"


def field(page, input_id: str):
    """The `.field` container around the input with this id (label + errors)."""
    return page.locator(".field").filter(has=page.locator(f"#{input_id}"))


def submit_customer_form(page):
    """Click the customer form's Save button (not the top bar's log-out button)."""
    with page.expect_navigation():
        page.click("form.form .form-actions button[type=submit]")


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Screenshot test-artifacts/<name>.png (a fixed name, for people to find;
    `pages.shot` numbers the steps of one test instead). `full_page=False`
    keeps only what the window shows."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# Viewports the layout is checked at: a laptop and a phone (iPhone 12-15 size).
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def new_page(pages, viewport=PHONE, **context_options):
    """A page in a fresh context of its own (e.g. `java_script_enabled=False`),
    watched for CSP violations and JS errors like `pages.new()`."""
    context = pages.browser.new_context(
        locale="zh-CN", viewport=viewport, **context_options
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", pages._on_console)
    page.on("pageerror", lambda exc: pages.page_errors.append(str(exc)))
    pages.contexts.append(context)
    pages.pages.append(page)
    return page


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


# Text squeezed into a column too narrow for it: a text node with at least two
# CJK characters laid out on two or more lines none of which is 2.5 em wide
# (at most two characters a line: 工/作/台), and any badge or button whose text
# takes more than one line (主要/联系人). Line boxes come from Range rects, so the
# check measures what is drawn, not the element's box. Hidden text (display:
# none, .visually-hidden, <option>) is skipped.
_SQUEEZED_TEXT_JS = """
() => {
  const CJK = /[\\u3400-\\u9fff\\uf900-\\ufaff]/g;
  const BADGES = ".tag, .status, .level, .role, .badge, .btn";
  const SKIP = ".visually-hidden, option, select, script, style, template, [hidden]";
  const lines = (textNodes) => {
    const found = [];
    for (const node of textNodes) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width < 0.5 || r.height < 0.5) continue;
        const mid = (r.top + r.bottom) / 2;
        const line = found.find((l) => Math.abs(l.mid - mid) < r.height / 2);
        if (line) {
          line.left = Math.min(line.left, r.left);
          line.right = Math.max(line.right, r.right);
        } else {
          found.push({ mid, left: r.left, right: r.right });
        }
      }
    }
    return found.map((l) => ({ mid: l.mid, width: l.right - l.left }));
  };
  const name = (el) => el.tagName.toLowerCase() +
    (el.id ? "#" + el.id : "") +
    [...el.classList].map((c) => "." + c).join("");
  const textNodes = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.textContent.trim() && !n.parentElement.closest(SKIP)) nodes.push(n);
    }
    return nodes;
  };
  const problems = [];
  const flagged = new Set();
  for (const node of textNodes(document.body)) {
    const text = node.textContent.trim();
    if ((text.match(CJK) || []).length < 2) continue;
    const el = node.parentElement;
    const em = parseFloat(getComputedStyle(el).fontSize);
    const found = lines([node]);
    if (found.length < 2) continue;
    const widest = Math.max(...found.map((l) => l.width));
    if (widest < 2.5 * em) {
      flagged.add(el);
      problems.push(`${name(el)} "${text.slice(0, 20)}": ${found.length} lines, ` +
        `at most ${(widest / em).toFixed(1)} em wide`);
    }
  }
  for (const el of document.querySelectorAll(BADGES)) {
    if (el.closest(SKIP) || flagged.has(el)) continue;
    const found = lines(textNodes(el));
    if (found.length > 1) {
      problems.push(`${name(el)} "${el.textContent.trim().slice(0, 20)}": ` +
        `broken over ${found.length} lines`);
    }
  }
  return problems;
}
"""


def squeezed_text(page) -> list[str]:
    """Descriptions of text wrapped (nearly) one character per line, and of
    badges/buttons broken over lines; [] when there is none."""
    return page.evaluate(_SQUEEZED_TEXT_JS)


def in_first_screen(locator) -> bool:
    """Whether the element lies wholly inside the window as the page opens
    (no scrolling) and is not covered by anything at its centre."""
    return locator.evaluate(
        """(el) => {
          const r = el.getBoundingClientRect();
          if (r.width === 0 || r.height === 0) return false;
          if (r.left < 0 || r.top < 0) return false;
          const { innerWidth: w, innerHeight: h } = window;
          if (r.right > w || r.bottom > h) return false;
          const x = r.left + r.width / 2, y = r.top + r.height / 2;
          const hit = document.elementFromPoint(x, y);
          return el === hit || el.contains(hit);
        }"""
    )


def showcase_customer(users):
    """A customer with everything a page can show: rep1's, managed by `success`,
    two contacts (one primary), two tags, a renewal date and a share with rep2."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from customers import services
    from customers.models import Customer, Industry, Region, Tag

    customer = services.customer_create(
        actor=users["rep1"],
        data={
            "name": "深圳市前海微众智能制造科技股份有限公司",
            "credit_code": credit_code("91440300MA5FXK8P2"),
            "industry": Industry.objects.get(code="65"),
            "region": Region.objects.get(code="44"),
            "city": "深圳市",
            "address": "广东省深圳市南山区粤海街道科苑路 15 号科兴科学园 B 栋 28 楼",
            "level": Customer.Level.A,
            "status": Customer.Status.ACTIVE,
            "first_cooperation_date": timezone.localdate() - timedelta(days=400),
            "historical_amount": Decimal("1288000.00"),
            "products": "CRM 企业版、数据迁移服务、年度运维",
            "owner": users["rep1"],
            "success_manager": users["success"],
            "renewal_date": timezone.localdate() + timedelta(days=30),
        },
        tags=list(Tag.objects.filter(name__in=["重点维护客户", "战略合作伙伴"])),
        contacts=[
            services.ContactData(
                name="欧阳晓明",
                title="首席信息官",
                phone="13912345678",
                email="ouyang.xiaoming@qianhai-weizhong.com.cn",
                is_primary=True,
            ),
            services.ContactData(
                name="李娜", title="采购经理", phone="075586001234", email="lina@qh.cn"
            ),
        ],
    )
    services.customer_share(
        actor=users["rep1"], customer=customer, user=users["rep2"], level="view"
    )
    return customer
