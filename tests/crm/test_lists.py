"""Shaped lists (crm/lists.py): columns, clean queries, saved views' rules."""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.test import RequestFactory

from crm import lists
from crm.list_views import back_to
from crm.lists import Column, ListSpec
from crm.models import CustomField, ListPreference, SavedView

SPEC = ListSpec(
    key="customers",
    url_name="customers:customer_list",
    label="客户",
    custom_field_target="customer",
    custom_before="updated_at",
    columns=(
        Column("name", "名称", locked=True),
        Column("level", "等级"),
        Column("tags", "标签", default=False),
        Column("updated_at", "更新"),
    ),
)


def custom(key: str, *, shown: bool = True) -> CustomField:
    return CustomField(
        target="customer", key=key, label=key, field_type="text", show_in_list=shown
    )


def keys(columns) -> list[str]:
    return [c.key for c in columns]


def test_custom_fields_shown_in_list_are_offered_before_the_named_column():
    available = SPEC.available([custom("channel"), custom("hidden", shown=False)])
    assert keys(available) == ["name", "level", "tags", "cf_channel", "updated_at"]
    assert not available[3].default


def test_no_choice_means_the_defaults_and_the_locked_column():
    assert keys(lists.choose_columns(SPEC.available([]), None)) == [
        "name",
        "level",
        "updated_at",
    ]


def test_a_choice_keeps_the_list_order_ignores_unknown_names_and_keeps_the_name():
    chosen = lists.choose_columns(
        SPEC.available([custom("channel")]), ["cf_channel", "bogus", "tags"]
    )
    assert keys(chosen) == ["name", "tags", "cf_channel"]


@pytest.mark.parametrize(
    "stored, expected",
    [
        ("level,tags", ["level", "tags"]),
        (" level , ,level,tags ", ["level", "tags"]),
        (["level", 5, None, {"x": 1}, "tags"], ["level", "tags"]),
        ({"level": True}, []),
        (7, []),
    ],
)
def test_column_names_are_read_defensively(stored, expected):
    assert lists.column_keys(stored) == expected


def test_clean_query_keeps_only_filters_in_use():
    params = QueryDict(
        "q=%E6%9D%AD&level=&page=3&view=9&columns=name&csrfmiddlewaretoken=x"
        "&per_page=25&tag=1&tag=2&ordering=-name"
    )
    assert lists.clean_query(params) == "q=%E6%9D%AD&tag=1&tag=2&ordering=-name"
    assert lists.clean_query(QueryDict("per_page=50")) == "per_page=50"


def test_without_view_drops_the_view_and_its_columns():
    assert lists.without_view("/customers/?q=a&columns=name&view=3") == (
        "/customers/?q=a"
    )
    assert lists.without_view("/customers/?view=3") == "/customers/"


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/customers/?level=A", "/customers/?level=A"),
        ("/customers/", "/customers/"),
        ("https://evil.example/customers/", "/customers/"),
        ("//evil.example/customers/", "/customers/"),
        ("/customers-elsewhere/", "/customers/"),
        ("/settings/", "/customers/"),
    ],
)
def test_the_column_chooser_only_goes_back_to_its_own_list(target, expected):
    request = RequestFactory().post("/", {"next": target})
    assert back_to(request, SPEC) == expected


@pytest.mark.django_db
def test_saving_columns_stores_known_names_and_reset_forgets_them(users):
    user = users["rep1"]
    lists.list_columns_save(user=user, spec=SPEC, keys=["tags", "bogus", "level"])
    assert ListPreference.objects.get(user=user).columns == ["name", "level", "tags"]
    lists.list_columns_save(user=user, spec=SPEC, keys=["level"])
    assert ListPreference.objects.get(user=user).columns == ["name", "level"]
    lists.list_columns_save(user=user, spec=SPEC, keys=None)
    assert not ListPreference.objects.filter(user=user).exists()


def make_view(owner, name="A级客户", *, shared=False, query="level=A"):
    return lists.saved_view_create(
        owner=owner,
        spec=lists.list_spec("customers"),
        name=name,
        query=query,
        columns=["name", "level"],
        shared=shared,
    )


@pytest.mark.django_db
def test_a_view_name_is_unique_per_owner_and_list_with_a_clear_message(users):
    make_view(users["rep1"])
    with pytest.raises(ValidationError) as refused:
        make_view(users["rep1"])
    assert refused.value.message_dict["name"] == [
        "你已经有一个名为“A级客户”的视图，请换一个名称。"
    ]
    # A colleague may use the same name for their own view.
    assert make_view(users["rep2"]).owner == users["rep2"]


@pytest.mark.django_db
def test_a_view_stores_a_clean_query_and_only_known_columns(users):
    view = lists.saved_view_create(
        owner=users["rep1"],
        spec=lists.list_spec("customers"),
        name="v",
        query="level=A&page=4&status=&view=2&columns=x",
        columns=["level", "bogus", "name"],
        shared=False,
    )
    assert view.query == "level=A"
    assert view.columns == ["level", "name"]
    assert view.get_absolute_url() == (
        f"/customers/?level=A&columns=level%2Cname&view={view.pk}"
    )


@pytest.mark.django_db
def test_a_query_too_long_to_store_is_refused(users):
    with pytest.raises(ValidationError) as refused:
        make_view(users["rep1"], query="q=" + "x" * 3000)
    assert "太长" in refused.value.message_dict["name"][0]


@pytest.mark.django_db
def test_personal_views_are_their_owners_and_shared_ones_everyones(users):
    personal = make_view(users["rep1"], "我的")
    shared = make_view(users["rep1"], "团队", shared=True)
    for role in ("rep2", "manager", "service", "success", "admin"):
        seen = set(SavedView.objects.for_user(users[role], "view"))
        assert seen == {shared}, role
    assert set(SavedView.objects.for_user(users["rep1"], "view")) == {
        personal,
        shared,
    }


@pytest.mark.django_db
def test_only_the_owner_or_an_administrator_may_change_a_shared_view(users):
    shared = make_view(users["rep1"], "团队", shared=True)
    for role, allowed in {
        "rep1": True,
        "admin": True,
        "manager": False,
        "rep2": False,
        "service": False,
        "success": False,
    }.items():
        for action in ("change", "delete"):
            rows = SavedView.objects.for_user(users[role], action)
            assert rows.filter(pk=shared.pk).exists() is allowed, (role, action)


@pytest.mark.django_db
def test_renaming_to_a_taken_name_is_refused(users):
    make_view(users["rep1"], "甲")
    other = make_view(users["rep1"], "乙")
    with pytest.raises(ValidationError):
        lists.saved_view_update(view=other, name="甲", shared=False)
    other.refresh_from_db()
    assert other.name == "乙"
