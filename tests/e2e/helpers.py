"""Steps the browser tests share; selectors use ids, names and roles, not text.

The UI is Chinese-first but its translations are still being written, so the
tests avoid asserting on translated strings.
"""

import re

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
