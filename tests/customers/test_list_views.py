"""The customer list's columns, saved views and compact cells, as users see them."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import lists
from crm.models import CustomField, ListPreference, SavedView
from tests.factories import client_for

LIST = "/customers/"
COLUMNS = reverse("crm:list_columns", args=["customers"])
NEW_VIEW = reverse("crm:savedview_create", args=["customers"])
HTMX = {"HTTP_HX_REQUEST": "true"}


def headers(response) -> list[str]:
    """The column keys of the table header, in order."""
    return re.findall(r'<th class="col-([a-z_]+)', response.content.decode())


@pytest.fixture
def channel(db):
    return CustomField.objects.create(
        target="customer",
        key="channel",
        label="获客渠道",
        field_type="text",
        show_in_list=True,
    )


def test_the_default_columns_leave_out_custom_fields_until_chosen(
    client, users, rep1_customer, channel
):
    c = client_for(client, users["rep1"])
    response = c.get(LIST)
    assert headers(response) == [
        "check",
        "name",
        "industry",
        "region",
        "level",
        "status",
        "contact",
        "tags",
        "owner",
        "historical_amount",
        "updated_at",
    ]
    assert 'value="cf_channel"' in response.content.decode()  # offered


def test_chosen_columns_are_remembered_per_user(client, users, rep1_customer, channel):
    # Given rep1 chooses the custom field and the renewal date, without tags
    c = client_for(client, users["rep1"])
    response = c.post(
        COLUMNS,
        {"columns": ["cf_channel", "renewal_date", "level"], "next": "/customers/?q=x"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/?q=x"

    # Then their list shows those columns (and the name) from now on
    response = c.get(LIST)
    assert headers(response) == [
        "check",
        "name",
        "level",
        "renewal_date",
        "cf_channel",
    ]
    assert '<th class="col-cf_channel col-custom">获客渠道</th>' in (
        response.content.decode()
    )
    # and another user's list keeps the defaults
    other = client_for(client.__class__(), users["rep2"])
    assert "col-renewal_date" not in other.get(LIST).content.decode()


def test_unknown_column_names_are_ignored_never_an_error(client, users, rep1_customer):
    ListPreference.objects.create(
        user=users["rep1"], list_key="customers", columns=["level", "gone", 3, None]
    )
    c = client_for(client, users["rep1"])
    assert headers(c.get(LIST)) == ["check", "name", "level"]
    # A query string naming only unknown columns falls back to the user's own.
    assert headers(c.get(LIST, {"columns": "nope,<b>x</b>"})) == [
        "check",
        "name",
        "level",
    ]
    assert headers(c.get(LIST, {"columns": "status,nope"})) == [
        "check",
        "name",
        "status",
    ]
    # A stored value that is not even a list is as good as no choice.
    ListPreference.objects.filter(user=users["rep1"]).update(columns={"a": 1})
    assert "updated_at" in headers(c.get(LIST))


def test_the_name_column_cannot_be_hidden(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    c.post(COLUMNS, {"columns": ["level"]})
    assert ListPreference.objects.get(user=users["rep1"]).columns == ["name", "level"]
    assert "name" in headers(c.get(LIST, {"columns": "level"}))


def test_restore_defaults_forgets_the_choice(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    c.post(COLUMNS, {"columns": ["level"]})
    c.post(COLUMNS, {"columns": ["level"], "reset": "1"})
    assert not ListPreference.objects.exists()
    assert "updated_at" in headers(c.get(LIST))


def test_htmx_column_post_answers_204_with_the_reload_event(client, users):
    c = client_for(client, users["rep1"])
    response = c.post(COLUMNS, {"columns": ["level"]}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Trigger"] == "listColumnsSaved"


def test_unknown_list_is_a_404(client, users):
    c = client_for(client, users["rep1"])
    assert c.post("/lists/nothing/columns/", {"columns": ["x"]}).status_code == 404
    assert c.get("/lists/nothing/views/new/").status_code == 404


def test_prospects_show_a_dash_instead_of_zero_yuan(client, users, make_customer):
    make_customer(users["rep1"], name="潜在甲", historical_amount=Decimal("0"))
    make_customer(users["rep1"], name="成交乙", historical_amount=Decimal("1234.5"))
    page = client_for(client, users["rep1"]).get(LIST).content.decode()
    assert "¥0.00" not in page
    assert "¥1,234.50" in page
    cells = re.findall(r'<td class="col-historical_amount num"[^>]*>(.*?)</td>', page)
    assert len(cells) == 2 and "—" in cells[0] + cells[1]


def test_long_names_carry_their_full_text_and_html_is_escaped(
    client, users, make_customer
):
    make_customer(users["rep1"], name="<b>长名称</b>" + "很" * 80 + "有限公司")
    page = client_for(client, users["rep1"]).get(LIST).content.decode()
    assert "<b>长名称" not in page
    assert 'title="&lt;b&gt;长名称&lt;/b&gt;' in page


def test_phone_cards_keep_their_fields_when_the_columns_leave_them_out(
    client, users, rep1_customer
):
    c = client_for(client, users["rep1"])
    page = c.get(LIST, {"columns": "name,industry"}).content.decode()
    for key in ("level", "status", "owner", "contact", "historical_amount"):
        assert re.search(rf'<td class="col-{key}[^"]* card-only"', page), key
    assert '<th class="col-status' not in page


def test_active_filters_are_counted_for_the_phone_button(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    assert (
        c.get(LIST, {"q": "x", "level": "A", "status": ""}).context["active_filters"]
        == 1
    )
    assert c.get(LIST, {"level": "A", "size": "20-99"}).context["active_filters"] == 2


def test_results_requests_push_the_clean_url(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    response = c.get(LIST, {"q": "上海", "level": "", "per_page": "25"}, **HTMX)
    assert response["HX-Push-Url"] == "/customers/?q=%E4%B8%8A%E6%B5%B7"
    assert "<html" not in response.content.decode()


def test_a_history_restore_gets_the_whole_page(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    response = c.get(
        LIST, {"q": "上海"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    page = response.content.decode()
    assert "<html" in page and 'value="上海"' in page
    assert "HX-Push-Url" not in response


def save_view(c, name="A级客户", *, shared=False, query="level=A", **extra):
    data = {"view-name": name, "query": query, "columns": "name,level"}
    if shared:
        data["view-shared"] = "on"
    return c.post(NEW_VIEW, data, **extra)


def test_saving_a_view_goes_to_the_list_with_it_applied(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    response = save_view(c, query="level=A&page=2&status=")
    view = SavedView.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/customers/?level=A&columns=name%2Clevel&view={view.pk}"
    )
    page = c.get(response["Location"])
    assert page.context["list_state"].active_view == view
    assert headers(page) == ["check", "name", "level"]
    assert 'class="menu-current" title="A级客户"' in page.content.decode()


def test_saving_a_view_through_htmx_redirects_or_shows_the_error_in_place(
    client, users
):
    c = client_for(client, users["rep1"])
    created = save_view(c, **HTMX)
    assert created.status_code == 204
    assert created["HX-Redirect"].startswith("/customers/?level=A")

    duplicate = save_view(c, **HTMX)
    body = duplicate.content.decode()
    assert duplicate.status_code == 200
    assert body.lstrip().startswith("<form") and 'id="savedview-form"' in body
    assert "你已经有一个名为“A级客户”的视图，请换一个名称。" in body
    assert SavedView.objects.count() == 1


def test_a_duplicate_name_without_js_shows_the_form_page_with_the_error(client, users):
    c = client_for(client, users["rep1"])
    save_view(c)
    response = save_view(c, name="  A级客户 ")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and "你已经有一个名为“A级客户”的视图" in page
    assert 'name="query" value="level=A"' in page  # nothing typed is lost


def test_an_empty_name_is_refused_in_chinese(client, users):
    c = client_for(client, users["rep1"])
    response = save_view(c, name="   ")
    assert "请给视图起个名字。" in response.content.decode()
    assert not SavedView.objects.exists()


def test_view_names_with_html_are_shown_as_text(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    save_view(c, name="<script>alert(1)</script>", shared=True)
    for user in ("rep1", "rep2"):
        page = client_for(c, users[user]).get(LIST).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_personal_views_stay_personal_and_shared_ones_reach_the_team(
    client, users, rep1_customer
):
    rep1 = client_for(client, users["rep1"])
    save_view(rep1, "只给自己")
    save_view(rep1, "团队视图", shared=True)
    state = client_for(client, users["rep2"]).get(LIST).context["list_state"]
    assert [v.name for v in state.team_views] == ["团队视图"]
    assert state.my_views == []
    assert not state.team_views[0].can_change


def test_a_shared_view_never_shows_a_record_the_viewer_may_not_see(
    client, users, rep1_customer, rep2_customer
):
    # Given rep1 shares a view searching for their own customer by name
    rep1 = client_for(client, users["rep1"])
    save_view(rep1, "一号", shared=True, query=f"q={rep1_customer.name}")
    view = SavedView.objects.get()
    assert [c.name for c in rep1.get(view.get_absolute_url()).context["object_list"]]

    # When rep2, who may not see rep1's customer, applies it
    response = client_for(client, users["rep2"]).get(view.get_absolute_url())

    # Then rep2 gets an empty list, and nothing of the hidden customer
    assert list(response.context["object_list"]) == []
    assert rep1_customer.customer_no not in response.content.decode()
    # and a view naming a hidden customer's filters shows rep2's own rows only
    SavedView.objects.filter(pk=view.pk).update(query="")
    view.refresh_from_db()
    rows = client_for(client, users["rep2"]).get(view.get_absolute_url())
    assert [c.name for c in rows.context["object_list"]] == [rep2_customer.name]


def test_colleagues_may_not_rename_or_delete_a_shared_view_but_admins_may(
    client, users
):
    save_view(client_for(client, users["rep1"]), "团队视图", shared=True)
    view = SavedView.objects.get()
    edit = reverse("crm:savedview_update", args=[view.pk])
    delete = reverse("crm:savedview_delete", args=[view.pk])
    rep2 = client_for(client, users["rep2"])
    assert rep2.post(edit, {"view-name": "被改"}).status_code == 403
    assert rep2.post(delete).status_code == 403
    admin = client_for(client, users["admin"])
    assert (
        admin.post(edit, {"view-name": "管理员改名", "view-shared": "on"}).status_code
        == 302
    )
    view.refresh_from_db()
    assert view.name == "管理员改名" and view.owner == users["rep1"]
    assert admin.post(delete).status_code == 302
    assert not SavedView.objects.exists()


def test_unsharing_hides_the_view_from_the_team(client, users):
    rep1 = client_for(client, users["rep1"])
    save_view(rep1, "团队视图", shared=True)
    view = SavedView.objects.get()
    rep1.post(
        reverse("crm:savedview_update", args=[view.pk]), {"view-name": "团队视图"}
    )
    rep2 = client_for(client, users["rep2"])
    assert rep2.get(reverse("crm:savedview_update", args=[view.pk])).status_code == 404
    assert rep2.get(LIST).context["list_state"].views == []


def count_queries(c, url) -> int:
    c.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_views_and_column_choices_add_a_constant_number_of_queries(
    client, users, make_customer, channel
):
    c = client_for(client, users["rep1"])
    make_customer(users["rep1"])
    save_view(c, "v0", shared=True)
    few = count_queries(c, LIST)
    for i in range(1, 12):
        lists.saved_view_create(
            owner=users[("rep2", "manager", "admin")[i % 3]],
            spec=lists.list_spec("customers"),
            name=f"v{i}",
            query="level=A",
            columns=[],
            shared=True,
        )
        make_customer(users["rep1"], custom={"channel": f"渠道{i}"})
    c.post(COLUMNS, {"columns": ["cf_channel", "tags", "success_manager"]})
    assert count_queries(c, LIST) == few
