"""The notification list, opening one, marking read: each user their own only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from tests.factories import client_for

LIST = "/notifications/"


def share_with(users, name, customer="杭州二号", url="/customers/") -> Notification:
    notify(
        recipients=[users[name]],
        kind="customer_shared",
        actor=users["rep2"] if name != "rep2" else users["rep1"],
        url=url,
        params={"customer": customer},
    )
    return Notification.objects.filter(recipient=users[name]).latest("pk")


def test_the_list_shows_my_notifications_newest_first_unread_highlighted(client, users):
    old = share_with(users, "rep1", customer="旧客户")
    old.read_at = timezone.now()
    old.save()
    share_with(users, "rep1", customer="新客户")
    share_with(users, "manager", customer="别人的客户")
    html = client_for(client, users["rep1"]).get(LIST).content.decode()
    assert html.index("新客户") < html.index("旧客户")
    assert "别人的客户" not in html
    assert html.count('class="notice is-unread"') == 1
    assert "全部标为已读" in html


def test_html_in_a_message_is_escaped(client, users):
    share_with(users, "rep1", customer="<script>alert(1)</script>")
    html = client_for(client, users["rep1"]).get(LIST).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_unread_tab_and_pages(client, users):
    for i in range(30):
        share_with(users, "rep1", customer=f"客户{i:02d}")
    first = Notification.objects.filter(recipient=users["rep1"]).order_by("pk")[0]
    first.read_at = timezone.now()
    first.save()
    c = client_for(client, users["rep1"])
    page1 = c.get(LIST).content.decode()
    assert "客户29" in page1 and "客户04" not in page1
    assert "客户00" in c.get(LIST + "?page=2").content.decode()
    unread = c.get(LIST + "?show=unread")
    assert unread.context["paginator"].count == 29
    assert "show=unread&amp;page=2" in unread.content.decode()


def test_opening_marks_read_and_goes_to_the_record(client, users):
    n = share_with(users, "rep1", url="/customers/C20260101001/")
    response = client_for(client, users["rep1"]).post(
        reverse("notifications:open", args=[n.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/C20260101001/"
    n.refresh_from_db()
    assert n.read_at is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "",
        "java\nscript:x",
    ],
)
def test_opening_goes_only_to_a_path_on_this_site(client, users, url):
    # A link that is not a same-site path (written around the service) leads
    # back to the list instead.
    n = share_with(users, "rep1")
    Notification.objects.filter(pk=n.pk).update(url=url)
    response = client_for(client, users["rep1"]).post(
        reverse("notifications:open", args=[n.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == LIST


@pytest.mark.parametrize("name", ["open", "read"])
def test_another_users_notification_is_a_404_and_stays_unread(client, users, name):
    theirs = share_with(users, "rep2")
    for role in ("rep1", "admin", "manager"):
        response = client_for(client, users[role]).post(
            reverse(f"notifications:{name}", args=[theirs.pk])
        )
        assert response.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_one_read_returns_to_the_page_it_came_from(client, users):
    n = share_with(users, "rep1")
    response = client_for(client, users["rep1"]).post(
        reverse("notifications:read", args=[n.pk]),
        {"next": LIST + "?page=2"},
    )
    assert response["Location"] == LIST + "?page=2"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_one_read_never_returns_to_another_site(client, users):
    n = share_with(users, "rep1")
    response = client_for(client, users["rep1"]).post(
        reverse("notifications:read", args=[n.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == LIST


def test_mark_one_read_with_htmx_swaps_the_item(client, users):
    n = share_with(users, "rep1", customer="某客户")
    response = client_for(client, users["rep1"]).post(
        reverse("notifications:read", args=[n.pk]),
        {"next": LIST},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Trigger"] == "badges-changed"
    html = response.content.decode()
    assert html.strip().startswith(f'<li class="notice" id="notice-{n.pk}">')
    assert "某客户" in html and "标为已读" not in html
    assert (
        '<span class="count" id="unread-tab-count" hx-swap-oob="true">0</span>' in html
    )


def test_mark_all_read(client, users):
    share_with(users, "rep1")
    share_with(users, "rep1")
    theirs = share_with(users, "rep2")
    c = client_for(client, users["rep1"])
    response = c.post(reverse("notifications:read_all"), {"next": LIST}, follow=True)
    assert "已将全部通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=users["rep1"]).unread().exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "全部标为已读" not in c.get(LIST).content.decode()


def test_the_list_costs_the_same_for_5_or_25_notifications(client, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(client, users["rep1"])

    def count():
        c.get(LIST)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(5):
        share_with(users, "rep1")
    few = count()
    for _ in range(20):
        share_with(users, "rep1")
    assert count() == few <= 8
