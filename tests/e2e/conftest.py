"""Browser tests: pytest-django's live_server driven by the system Chromium.

The Playwright *sync* API runs an asyncio loop in the test thread, so Django's
async-safety check would refuse every ORM call the tests make (creating fixtures,
checking the database): DJANGO_ALLOW_ASYNC_UNSAFE switches that check off. It
must be set before the first query, hence at import time.
"""

import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

from tests.factories import restore_migrated_rows

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class SerialWSGIServer(WSGIServer):
    """The live server answering one request at a time.

    On SQLite the test database lives in memory and every server thread
    shares the test's one connection; Django's threaded live server then runs
    a page and the badges htmx loads after it on that connection at once,
    which returns garbage rows (seen in CI: "not enough values to unpack" in
    the permission lookup, a page without its buttons). Served in turn they
    cannot collide; Django closes each connection after its response when
    the server is not threaded, so the browser's parallel requests queue."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


LiveServerThread.server_class = SerialWSGIServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP_TEXT = "Content Security Policy"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("the system Chromium (/usr/bin/chromium) is not installed")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(autouse=True)
def reference_data(live_server, transactional_db):
    """The rows the data migrations seed, present in every browser test.

    live_server makes each test a TransactionTestCase, which empties every table
    when it ends: after the first transactional test of the run (ours or another
    module's) the role groups, industries, provinces and tags are gone.

    `django_db_serialized_rollback` does not help here: Playwright's sync API
    leaves an asyncio loop marked as running in the test thread, so Django's
    thread-critical connection store (asgiref Local) switches to a contextvar
    and the test thread gets a *new* connection object, not the one
    `setup_databases` attached the serialised data to. pytest-django then finds
    nothing to load back (checked: groups were empty in the second test).

    So the fixture re-runs what the data migrations run; every step is
    idempotent. The flush re-creates content types and permissions through
    post_migrate, unless a serialized-rollback test elsewhere inhibited it, in
    which case the signal is sent here first so the role grants find them.
    """
    restore_migrated_rows()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


class Pages:
    """Opens browser contexts/pages, collects CSP console messages, screenshots."""

    def __init__(self, browser, test_name: str):
        self.browser = browser
        self.test_name = _slug(test_name)
        self.contexts = []
        self.pages = []
        self.csp_messages: list[str] = []
        self.page_errors: list[str] = []
        self.steps = 0

    def new(self):
        context = self.browser.new_context(
            locale="zh-CN", viewport={"width": 1400, "height": 900}
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        self.contexts.append(context)
        self.pages.append(page)
        return page

    def _on_console(self, message):
        if CSP_TEXT in message.text:
            self.csp_messages.append(f"[{message.type}] {message.text}")

    def shot(self, page, step: str) -> Path:
        """Full-page screenshot test-artifacts/<test>-<nn>-<step>.png."""
        self.steps += 1
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.test_name}-{self.steps:02d}-{_slug(step)}.png"
        # caret="initial": no injected style attribute for htmx to copy (a CSP report).
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    def assert_no_browser_errors(self):
        """No Content Security Policy violation and no uncaught JS error logged."""
        assert self.csp_messages == [], "CSP violations:\n" + "\n".join(
            self.csp_messages
        )
        assert self.page_errors == [], "JavaScript errors:\n" + "\n".join(
            self.page_errors
        )

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, request):
    pages = Pages(browser, request.node.name)
    # A failed setup/call phase is counted in session.testsfailed before the
    # teardown phase runs, which lets this fixture screenshot failures without
    # a reporting hook.
    failed_before = request.session.testsfailed
    yield pages
    if request.session.testsfailed > failed_before:
        for i, page in enumerate(pages.pages):
            with contextlib.suppress(Exception):  # the page may already be gone
                pages.shot(page, f"FAILED-page{i}")
    pages.close()


@pytest.fixture
def page(pages):
    return pages.new()
