import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import client_for

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


def reachable_database_url() -> dict:
    """DATABASE_URL naming the test database, on PostgreSQL: the checks of a
    generated column (customers' name_key) ask the server its version, so
    `check --deploy` needs a database that exists, as a deployment has."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    host = f"{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
    return {"DATABASE_URL": f"postgres://{auth}@{host}/{s['NAME']}"}


@pytest.mark.django_db
def test_production_passes_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-value-1234",
        ALLOWED_HOSTS="crm.example.com",
        **reachable_database_url(),
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


# Hostile input: numbers, echoed errors and spreadsheet formulas.
# (Imports sit in the tests so this block stays an addition at the end.)

BIG_ID = "99999999999999999999"


def test_a_page_size_that_only_looks_like_a_number_falls_back(client, users):
    response = client_for(client, users["rep1"]).get("/customers/?per_page=²")
    assert response.status_code == 200
    assert response.context["per_page"] == 25


@pytest.mark.parametrize("value", [BIG_ID, "-" + BIG_ID, "9223372036854775808"])
def test_an_out_of_range_tag_id_is_an_invalid_choice(client, users, value):
    from tests.factories import customer_form_data

    c = client_for(client, users["rep1"])
    response = c.post(
        "/customers/new/", customer_form_data(owner=users["rep1"].pk, tags=[value])
    )
    assert response.status_code == 200
    assert f"“{value}”不在可选范围内" in response.context["form"].errors["tags"][0]
    assert c.get("/customers/", {"tag": value}).status_code == 200


def test_id_lists_skip_ids_no_integer_column_can_hold(db):
    from customers.models import Tag

    tag = Tag.objects.first()
    assert list(Tag.objects.filter(pk__in=[BIG_ID, tag.pk])) == [tag]
    assert not Tag.objects.filter(pk__in=[BIG_ID, "-" + BIG_ID]).exists()


@pytest.mark.parametrize("param", ["status", "ordering"])
def test_the_export_error_page_escapes_what_it_echoes(client, users, param):
    evil = "<meta http-equiv=refresh content=0;url=//evil>"
    c = client_for(client, users["admin"])
    response = c.get("/customers/export/", {param: evil})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<meta http-equiv=refresh" not in html
    assert "&lt;meta http-equiv=refresh" in html
    assert "无法导出" in html and 'href="/customers/"' in html


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_export_neutralises_formulas_in_cells_and_header(
    client, users, make_customer, start
):
    import csv
    import io

    from crm.models import CustomField
    from customers.models import Customer

    label = f'{start}HYPERLINK("http://x","y")'
    CustomField.objects.create(
        target="customer", key="note", label=label, field_type="text", show_in_list=True
    )
    customer = make_customer(users["rep1"])
    # Stored as an import or an older version may have left it.
    Customer.objects.filter(pk=customer.pk).update(custom={"note": f"{start}cmd"})
    response = client_for(client, users["admin"]).get("/customers/export/")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(body, newline=""))
    column = header.index("'" + label)
    assert row[column] == f"'{start}cmd"
