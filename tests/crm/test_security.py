import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into the
    # production check (it is itself a deploy warning).
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "crm.settings.production", **env},
    )


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "crm.settings.production"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passes_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-value-1234",
        ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_carry_a_csp_with_a_nonce_on_every_script(client, users):
    response = client_for(client, users["rep1"]).get("/customers/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    assert html.count("<script") == html.count(f'nonce="{nonce}"') > 0


def test_every_page_needs_a_login(client, db):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_works_and_lands_on_the_workbench(client, users):
    from django.core.cache import cache

    cache.clear()
    response = client.post(
        "/accounts/login/", {"username": "rep1", "password": "pw-12345-test"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("lang, text", [("en", "Customers"), ("zh-hans", "客户")])
def test_language_switch(client, users, lang, text):
    c = client_for(client, users["rep1"])
    c.post("/i18n/setlang/", {"language": lang, "next": "/"})
    html = c.get("/").content.decode()
    assert f'<html lang="{lang}">' in html and text in html


def test_default_language_is_simplified_chinese(client, users):
    html = client_for(client, users["rep1"]).get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "工作台" in html
