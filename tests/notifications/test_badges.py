"""The counts beside the navigation and on the bell, loaded after the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.registry import NavItem, registry
from notifications.services import notify
from tests.factories import client_for

BADGES = "/nav/badges/"


@pytest.fixture
def counted_nav():
    """A navigation entry with a badge, for the customer roles (a query each)."""
    saved = list(registry.nav)
    calls = []

    from customers.models import Customer

    def count(user):
        calls.append(user.username)
        return Customer.objects.for_user(user).count()

    registry.add_nav(
        NavItem(
            "customers:customer_list",
            "Customers",
            20,
            visible=lambda user: user.username != "service",
            sections=("customers",),
            badge=count,
        )
    )
    yield calls
    registry.nav = saved


def unread(users, name, n):
    for _ in range(n):
        notify(
            recipients=[users[name]],
            kind="customer_shared",
            actor=users["admin"],
            params={"customer": "x"},
        )


def test_the_bell_counts_my_unread(client, users):
    unread(users, "rep1", 3)
    unread(users, "rep2", 5)
    html = client_for(client, users["rep1"]).get(BADGES).content.decode()
    assert (
        '<span class="count-badge" id="badge-notifications" hx-swap-oob="true">3</span>'
        in html
    )


def test_no_unread_hides_the_badge(client, users):
    html = client_for(client, users["rep1"]).get(BADGES).content.decode()
    assert (
        '<span class="count-badge" id="badge-notifications" hx-swap-oob="true" '
        "hidden></span>" in html
    )


def test_counts_over_99_are_capped(client, users):
    unread(users, "rep1", 100)
    html = client_for(client, users["rep1"]).get(BADGES).content.decode()
    assert 'id="badge-notifications" hx-swap-oob="true">99+</span>' in html


def test_nav_badges_of_visible_entries_only(client, users, counted_nav, make_customer):
    make_customer(users["rep1"])
    make_customer(users["rep1"])
    html = client_for(client, users["rep1"]).get(BADGES).content.decode()
    assert 'id="badge-customers-customer-list" hx-swap-oob="true">2</span>' in html
    # An entry the user does not see is neither counted nor rendered.
    counted_nav.clear()
    html = client_for(client, users["service"]).get(BADGES).content.decode()
    assert "badge-customers-customer-list" not in html
    assert counted_nav == []


def test_pages_render_the_placeholders_and_load_the_counts_once(
    client, users, counted_nav
):
    unread(users, "rep1", 2)
    html = client_for(client, users["rep1"]).get("/customers/").content.decode()
    # The entry and the bell get empty placeholders; the page computes no count.
    assert (
        '<span class="count-badge" id="badge-customers-customer-list" hidden>' in html
    )
    assert '<span class="count-badge" id="badge-notifications" hidden>' in html
    assert (
        'hx-get="/nav/badges/" hx-trigger="load, badges-changed from:body" '
        'hx-swap="none"' in html
    )
    assert counted_nav == []
    assert 'href="/notifications/"' in html


def test_the_badge_endpoint_has_a_flat_budget(client, users, counted_nav):
    c = client_for(client, users["rep1"])

    def count():
        c.get(BADGES)
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(BADGES)
        badges = response.content.decode().count('class="count-badge"')
        return len(ctx.captured_queries), badges

    few, badges = count()
    unread(users, "rep1", 30)
    # The session, the user, the role's permissions (2), whether the user's
    # groups hold shares (1), then one count per badge, whatever the counts.
    assert count() == (few, badges)
    assert few <= 5 + badges


def test_the_badges_need_a_login(client):
    response = client.get(BADGES)
    assert response.status_code == 302
