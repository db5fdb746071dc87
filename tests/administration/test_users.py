"""Users and roles: create with a role, edit, deactivate instead of delete,
reset a password; an administrator cannot lock themselves out."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from crm import roles
from crm.models import HistoryEntry, SecurityEvent
from tests.factories import PASSWORD, client_for

NEW = "/settings/users/new/"
GOOD_PASSWORD = "Xiaoming-2024-crm"


@pytest.fixture
def admin(client, users):
    return client_for(client, users["admin"])


def new_user_data(**changes) -> dict:
    data = {
        "username": "xiaoming",
        "full_name": "王小明",
        "email": "xm@example.com",
        "role": roles.SALES_REP,
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(changes)
    return data


def edit_data(user: User, **changes) -> dict:
    role = next(n for n in user.groups.values_list("name", flat=True))
    name = user.first_name or user.username
    data = {"full_name": name, "email": user.email, "role": role}
    if user.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def signs_in(username: str, password: str) -> bool:
    return Client().login(username=username, password=password)


def test_an_admin_creates_a_user_with_a_role_who_can_then_sign_in(admin, users):
    # when the administrator creates a sales rep
    response = admin.post(NEW, new_user_data())

    # then the account exists with that role, and the person can sign in
    assert response.status_code == 302
    user = User.objects.get(username="xiaoming")
    assert (user.first_name, user.email) == ("王小明", "xm@example.com")
    assert list(user.groups.values_list("name", flat=True)) == [roles.SALES_REP]
    assert not user.is_staff and not user.is_superuser
    assert signs_in("xiaoming", GOOD_PASSWORD)
    # and the role given is a security event
    event = SecurityEvent.objects.get(kind="grant", target="xiaoming → 销售专员")
    assert event.actor == users["admin"]
    listing = admin.get(response["Location"]).content.decode()
    assert "已创建用户 xiaoming，现在即可登录。" in listing
    assert "王小明" in listing and "销售专员" in listing


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"username": "rep1"}, "username", "用户名“rep1”已被使用，请换一个。"),
        ({"username": "REP1"}, "username", "用户名“REP1”已被使用，请换一个。"),
        ({"role": ""}, "role", None),
        ({"password2": "something-else-1"}, "password2", None),
        ({"password1": "1234", "password2": "1234"}, "password1", None),
        ({"password1": "password", "password2": "password"}, "password1", None),
        ({"password1": "xiaoming1", "password2": "xiaoming1"}, "password1", None),
    ],
)
def test_bad_input_is_refused_next_to_its_field(admin, users, changes, field, message):
    response = admin.post(NEW, new_user_data(**changes))

    assert response.status_code == 200
    assert not User.objects.filter(username="xiaoming").exists()
    errors = response.context["form"].errors[field]
    if message:
        assert errors == [message]
    # Django's password validators speak Chinese too.
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e) for e in errors), errors


def test_an_admin_changes_a_role_and_it_is_logged(admin, users):
    rep2 = users["rep2"]
    url = reverse("administration:user_update", args=[rep2.pk])

    response = admin.post(
        url, edit_data(rep2, role=roles.SALES_MANAGER, full_name="李四")
    )

    assert response.status_code == 302
    rep2.refresh_from_db()
    assert list(rep2.groups.values_list("name", flat=True)) == [roles.SALES_MANAGER]
    assert rep2.first_name == "李四"
    event = SecurityEvent.objects.get(kind="grant", target="rep2 → 销售经理")
    assert event.detail["previous"] == roles.SALES_REP
    entry = HistoryEntry.objects.get(object_id=str(rep2.pk), action="update")
    assert {"field": "role", "old": "销售专员", "new": "销售经理"} in entry.changes


def test_a_deactivated_user_cannot_sign_in_and_keeps_their_records(
    admin, users, rep1_customer
):
    rep1 = users["rep1"]
    url = reverse("administration:user_deactivate", args=[rep1.pk])
    assert "停用 rep1？" in admin.get(url).content.decode()

    response = admin.post(url)

    assert response.status_code == 302
    rep1.refresh_from_db()
    assert not rep1.is_active
    assert not signs_in("rep1", PASSWORD)
    rep1_customer.refresh_from_db()
    assert rep1_customer.owner == rep1
    assert SecurityEvent.objects.get(kind="revoke", target="rep1").detail == {
        "action": "deactivate"
    }
    # and they can be reactivated through the edit form
    edit = reverse("administration:user_update", args=[rep1.pk])
    admin.post(edit, edit_data(rep1, is_active="on"))
    assert signs_in("rep1", PASSWORD)


def test_an_admin_cannot_demote_or_deactivate_themselves(admin, users):
    me = users["admin"]
    url = reverse("administration:user_update", args=[me.pk])

    demote = admin.post(url, edit_data(me, role=roles.SALES_REP))
    deactivate = admin.post(url, edit_data(me, is_active=None))
    by_button = admin.post(reverse("administration:user_deactivate", args=[me.pk]))

    assert demote.context["form"].errors["role"] == [
        "不能更改自己的角色，请让另一位管理员操作。"
    ]
    assert deactivate.context["form"].errors["is_active"] == [
        "不能停用自己的账号，请让另一位管理员操作。"
    ]
    assert by_button.status_code == 302
    me.refresh_from_db()
    assert me.is_active
    assert list(me.groups.values_list("name", flat=True)) == [roles.ADMIN]
    assert not SecurityEvent.objects.exists()
    # the list offers no deactivate button for oneself either
    listing = admin.get("/settings/users/").content.decode()
    assert reverse("administration:user_deactivate", args=[me.pk]) not in listing


def test_a_password_reset_goes_through_the_validators(admin, users):
    rep2 = users["rep2"]
    url = reverse("administration:user_password", args=[rep2.pk])

    weak = admin.post(url, {"new_password1": "123", "new_password2": "123"})
    strong = admin.post(
        url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD}
    )

    assert weak.status_code == 200 and weak.context["form"].errors["new_password1"]
    assert strong.status_code == 302
    assert signs_in("rep2", GOOD_PASSWORD) and not signs_in("rep2", PASSWORD)
    entry = HistoryEntry.objects.get(object_id=str(rep2.pk))
    assert entry.changes == [{"field": "password", "old": "", "new": "reset"}]
    assert GOOD_PASSWORD not in str(entry.changes)


def test_resetting_ones_own_password_keeps_one_signed_in(admin, users):
    url = reverse("administration:user_password", args=[users["admin"].pk])
    admin.post(url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert admin.get("/settings/").status_code == 200


def test_only_a_superuser_manages_a_superuser(admin, users):
    root = User.objects.create_superuser("root", password=PASSWORD)
    for name in ("user_update", "user_password", "user_deactivate"):
        url = reverse(f"administration:{name}", args=[root.pk])
        assert admin.get(url).status_code == 403
        assert admin.post(url, {}).status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.check_password(PASSWORD)


def test_the_list_shows_name_username_role_status_and_last_login(admin, users):
    User.objects.filter(pk=users["rep2"].pk).update(is_active=False)
    page = admin.get("/settings/users/").content.decode()
    for text in ("rep1", "销售专员", "客户成功", "已停用", "已启用"):
        assert text in page


def test_the_list_costs_the_same_queries_for_more_users(admin, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin.get("/settings/users/")
    with CaptureQueriesContext(connection) as few:
        admin.get("/settings/users/")
    for i in range(15):
        user = User.objects.create_user(f"extra{i}")
        user.groups.add(*users["rep1"].groups.all())
    with CaptureQueriesContext(connection) as many:
        admin.get("/settings/users/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_html_in_a_full_name_is_shown_as_text(admin):
    admin.post(NEW, new_user_data(full_name="<script>x</script>"))
    page = admin.get("/settings/users/").content.decode()
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
