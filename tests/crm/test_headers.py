"""Private pages and exports must not be kept by proxies or the browser cache."""

import pytest
from django.test import Client

from tests.factories import client_for


def assert_private(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


@pytest.mark.parametrize("role", ["admin", "rep1"])
def test_customer_pages_are_private_and_not_stored(client, users, rep1_customer, role):
    c = client_for(client, users[role])
    for path in ("/", "/customers/", rep1_customer.get_absolute_url()):
        response = c.get(path)
        assert response.status_code == 200
        assert_private(response)


def test_export_is_private_and_not_stored(client, users, rep1_customer):
    response = client_for(client, users["admin"]).get("/customers/export/")
    assert response.status_code == 200 and response.streaming
    assert_private(response)


def test_error_pages_for_a_signed_in_user_are_private(client, users):
    c = client_for(client, users["rep1"])
    assert_private(c.get("/customers/no-such-customer/"))
    assert_private(c.get("/customers/export/"))  # a rep may not export: 403


def test_login_page_is_private_and_not_stored(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_private(response)


def test_static_files_keep_their_public_caching(users, settings):
    # WhiteNoise answers static files before the cache middleware runs.
    settings.WHITENOISE_USE_FINDERS = True
    c = client_for(Client(), users["rep1"])
    response = c.get("/static/css/app.css")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]
