"""`make run` (crm.settings.local) shows what users will see, not the debug pages."""

import importlib
import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import path

from crm.urls import urlpatterns as crm_urlpatterns
from tests.factories import PASSWORD, make_customer

ROOT = Path(__file__).resolve().parents[2]
DEBUG_PAGE = "DEBUG = True"  # the footer of Django's debug pages


def boom(request):
    raise RuntimeError("the local settings must log this")


urlpatterns = [*crm_urlpatterns, path("boom/", boom)]


@pytest.fixture
def local_settings(tmp_path, monkeypatch):
    """The settings of crm/settings/local.py (not its database: the test one).

    Imported here, not at the top, so the key goes to tmp_path, not the checkout.
    """
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CRM_SECRET_KEY_FILE", str(tmp_path / ".secret_key"))
    module = importlib.reload(importlib.import_module("crm.settings.local"))
    values = {
        name: getattr(module, name)
        for name in dir(module)
        if name.isupper() and name != "DATABASES"
    }
    with override_settings(**values):
        yield module


def local_client(user=None) -> Client:
    """A browser at http://127.0.0.1, an allowed host of the local settings."""
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def test_local_settings_run_without_debug_on_a_generated_key(local_settings):
    assert local_settings.DEBUG is False
    assert len(local_settings.SECRET_KEY) >= 50
    assert "127.0.0.1" in local_settings.ALLOWED_HOSTS
    assert "localhost" in local_settings.ALLOWED_HOSTS


def test_a_missing_or_hidden_customer_gets_the_apps_404_page(local_settings, users):
    hidden = make_customer(users["rep2"])
    client = local_client(users["rep1"])
    for url in ["/customers/C20990101999/", hidden.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 404
        assert [t.name for t in response.templates][0] == "404.html"
        content = response.content.decode()
        assert DEBUG_PAGE not in content and "URLconf" not in content


def test_the_debug_server_would_show_the_debug_page(local_settings, users):
    # The contrast: what `make dev` (DEBUG on) shows for the same request.
    client = local_client(users["rep1"])
    with override_settings(DEBUG=True):
        response = client.get("/customers/C20990101999/")
    assert response.status_code == 404
    assert DEBUG_PAGE in response.content.decode()


def test_a_server_error_is_logged_with_its_traceback(local_settings, users, caplog):
    request_logger = logging.getLogger("django.request")
    # The console handler base.LOGGING gives `django.request` (pytest's own
    # handlers, caplog's among them, are subclasses).
    [console] = [h for h in request_logger.handlers if type(h) is logging.StreamHandler]
    console_output = io.StringIO()
    previous = console.setStream(console_output)
    try:
        with override_settings(ROOT_URLCONF=__name__):
            response = local_client(users["rep1"]).get("/boom/")
    finally:
        console.setStream(previous)

    assert response.status_code == 500
    assert DEBUG_PAGE not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert record.exc_info[0] is RuntimeError
    printed = console_output.getvalue()
    assert "Internal Server Error: /boom/" in printed
    assert "Traceback (most recent call last)" in printed
    assert "RuntimeError: the local settings must log this" in printed


def test_static_files_are_served_without_collectstatic(local_settings, db):
    response = Client(HTTP_HOST="127.0.0.1").get("/static/js/app.js")
    assert response.status_code == 200
    assert b"use strict" in b"".join(response.streaming_content)


def test_the_secret_key_is_generated_once_and_kept_private(local_settings, tmp_path):
    key_file = tmp_path / ".secret_key"  # where the fixture pointed the settings
    assert key_file.read_text() == local_settings.SECRET_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert local_settings.read_or_create_secret_key(key_file) == key_file.read_text()
    assert list(tmp_path.iterdir()) == [key_file]  # no temporary file left


def test_the_local_settings_load_on_their_own(tmp_path):
    # A fresh process, as `make run` starts one: the key file is created and reused.
    key_file = tmp_path / ".secret_key"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.local",
        "CRM_SECRET_KEY_FILE": str(key_file),
    }
    env.pop("SECRET_KEY", None)
    code = (
        "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    )

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    first = run()
    assert first == f"False {key_file.read_text().strip()}"
    assert run() == first


def test_seed_demo_prints_the_login_url_of_the_port_it_serves(db):
    out = io.StringIO()
    call_command("seed_demo", customers=0, host="localhost", port=8123, stdout=out)
    assert "http://localhost:8123/" in out.getvalue()
    assert ":8000" not in out.getvalue()
