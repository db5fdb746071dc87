"""/settings/ is for administrators: every other role gets 403 on every page,
the navigation shows the entry to administrators only, forms need CSRF, and
the Django admin is left to superusers."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from crm.models import CustomField
from customers.models import Tag
from tests.factories import client_for

NON_ADMINS = ["manager", "rep1", "rep2", "service", "success"]


def settings_urls(users) -> list[str]:
    field = CustomField.objects.create(
        target="customer", key="level2", label="二级", field_type="text"
    )
    tag = Tag.objects.create(name="待删除")
    account = users["rep2"].pk
    return [
        reverse("administration:index"),
        reverse("administration:customfield_list"),
        reverse("administration:customfield_create"),
        reverse("administration:customfield_update", args=[field.pk]),
        reverse("administration:customfield_delete", args=[field.pk]),
        reverse("administration:user_list"),
        reverse("administration:user_create"),
        reverse("administration:user_update", args=[account]),
        reverse("administration:user_password", args=[account]),
        reverse("administration:user_deactivate", args=[account]),
        reverse("administration:company_update"),
        reverse("customer_settings:tag_list"),
        reverse("customer_settings:tag_create"),
        reverse("customer_settings:tag_merge"),
        reverse("customer_settings:tag_update", args=[tag.pk]),
        reverse("customer_settings:tag_delete", args=[tag.pk]),
    ]


@pytest.mark.parametrize("role", NON_ADMINS)
def test_every_settings_page_is_403_for_every_other_role(client, users, role):
    # given a user of a role other than administrator
    c = client_for(client, users[role])
    for url in settings_urls(users):
        # when they open or post to any settings page
        # then it is refused
        assert c.get(url).status_code == 403, url
        assert c.post(url, {"name": "x"}).status_code == 403, url
    # and nothing was deleted or deactivated
    assert CustomField.objects.filter(key="level2").exists()
    assert Tag.objects.filter(name="待删除").exists()
    assert User.objects.get(pk=users["rep2"].pk).is_active


def test_the_403_page_is_the_apps_own_in_chinese(client, users):
    response = client_for(client, users["manager"]).get("/settings/")
    assert response.status_code == 403
    assert "不允许" in response.content.decode() or "无权" in response.content.decode()


def test_every_settings_page_opens_for_the_administrator(client, users):
    c = client_for(client, users["admin"])
    for url in settings_urls(users):
        assert c.get(url).status_code == 200, url


def test_the_index_lists_the_sections_of_every_module_with_a_description(client, users):
    page = client_for(client, users["admin"]).get("/settings/").content.decode()
    for href, label, description in [
        ("/settings/custom-fields/", "自定义字段", "为客户等记录添加字段"),
        ("/settings/tags/", "客户标签", "合并重复的标签"),
        ("/settings/users/", "用户与角色", "新同事入职"),
        ("/settings/company/", "公司信息", "显示在每个页面标题中"),
    ]:
        assert f'href="{href}"' in page
        assert label in page and description in page


@pytest.mark.parametrize("role", ["admin", *NON_ADMINS])
def test_the_navigation_shows_settings_to_administrators_only(client, users, role):
    nav = client_for(client, users[role]).get("/").context["nav_items"]
    urls = [item["url"] for item in nav]
    assert ("/settings/" in urls) is (role == "admin")


def test_a_post_without_csrf_token_is_refused(users):
    # given an administrator's browser that does not send the CSRF token
    c = client_for(Client(enforce_csrf_checks=True), users["admin"])

    # when it posts a new tag
    response = c.post("/settings/tags/new/", {"name": "跨站标签", "colour": "red"})

    # then it is refused and nothing is created
    assert response.status_code == 403
    assert not Tag.objects.filter(name="跨站标签").exists()


def test_the_django_admin_turns_away_a_staff_member_who_is_no_superuser(client, users):
    # given the administrator role's user: staff, but not a superuser
    admin = users["admin"]
    assert admin.is_staff and not admin.is_superuser
    c = client_for(client, admin)

    # when they open the Django admin or one of its pages
    index = c.get("/admin/")
    change = c.get(reverse("admin:crm_customfield_changelist"))

    # then they are sent to its login page, which does not let them in
    assert index.status_code == 302 and change.status_code == 302
    assert index["Location"].startswith(reverse("admin:login"))
    login = c.get(index["Location"])
    assert "crm_customfield" not in login.content.decode()


def test_the_django_admin_opens_for_a_superuser(client, db):
    root = User.objects.create_superuser("root", password="pw-12345-test")
    assert client_for(client, root).get("/admin/").status_code == 200


def test_an_inactive_administrator_cannot_open_settings(client, users):
    admin = users["admin"]
    c = client_for(client, admin)
    User.objects.filter(pk=admin.pk).update(is_active=False)
    response = c.get("/settings/")
    # An inactive account is signed out: sent to the login page.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
