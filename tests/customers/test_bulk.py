"""The customer list's bulk bar: what it offers whom, what it changes, and what
the user sees when it refuses (the selection is never lost)."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from crm import permissions
from crm.models import HistoryEntry, SecurityEvent
from customers import services
from customers.models import Customer, Tag
from tests.factories import client_for

BULK = reverse("customers:customer_bulk")
LIST = reverse("customers:customer_list")
HTMX = {"HX-Request": "true"}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def owners(*customers) -> list[str]:
    return [Customer.objects.get(pk=c.pk).owner.username for c in customers]


def tagged(tag: Tag) -> set[str]:
    return set(tag.customer_set.values_list("customer_no", flat=True))


@pytest.fixture
def tag(db) -> Tag:
    return Tag.objects.get(name="重点客户")


# --- who gets a bar ------------------------------------------------------------


@pytest.mark.parametrize("role", ["service", "success"])
def test_roles_without_a_bulk_action_get_no_bar_and_no_checkboxes(
    client, users, make_customer, role
):
    # Given a customer each of them sees (success manages it)
    make_customer(users["rep1"], success_manager=users["success"])
    c = client_for(client, users[role])

    # When they open the list, and try to post the bar anyway
    body = c.get(LIST).content.decode()
    response = c.post(BULK, {"action": "add_tag", "selected": []})

    # Then there is no bar, no row checkbox, and the post is forbidden
    assert "data-bulk-controls" not in body
    assert 'name="selected"' not in body
    assert "data-select-all" not in body
    assert response.status_code == 403


def test_reps_tag_and_managers_also_reassign(client, users, rep1_customer):
    rep = client_for(client, users["rep1"]).get(LIST).content.decode()
    assert "data-bulk-controls" in rep
    assert 'value="add_tag"' in rep and 'value="remove_tag"' in rep
    assert 'value="reassign"' not in rep and 'id="bulk-owner"' not in rep
    assert f'name="selected" value="{rep1_customer.customer_no}"' in rep

    manager = client_for(client, users["manager"]).get(LIST).content.decode()
    assert 'value="reassign"' in manager and 'id="bulk-owner"' in manager
    # Each input is labelled
    for input_id in ("bulk-action", "bulk-owner", "bulk-tag"):
        assert f'<label for="{input_id}">' in manager


def test_a_rep_cannot_post_a_reassign(client, users, rep1_customer):
    response = client_for(client, users["rep1"]).post(
        BULK,
        {
            "action": "reassign",
            "owner": users["rep2"].pk,
            "selected": [rep1_customer.customer_no],
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert 'id="bulk-action_error"' in response.content.decode()
    assert owners(rep1_customer) == ["rep1"]


# --- the ticked customers --------------------------------------------------------


def test_ticked_customers_are_tagged_and_the_message_counts_the_changes(
    client, users, make_customer, tag
):
    # Given three of rep1's customers, one already tagged
    a, b = make_customer(users["rep1"]), make_customer(users["rep1"])
    done = make_customer(users["rep1"], tags=[tag])

    # When rep1 adds the tag to all three through the bar's script
    response = client_for(client, users["rep1"]).post(
        BULK,
        {
            "action": "add_tag",
            "tag": tag.pk,
            "selected": [a.customer_no, b.customer_no, done.customer_no],
            "next": "/customers/?level=A",
        },
        headers=HTMX,
    )

    # Then the page is sent back to the list it came from, saying what changed
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/customers/?level=A"
    assert tagged(tag) == {a.customer_no, b.customer_no, done.customer_no}
    assert messages_of(response) == ["已更新 2 个客户。", "另有 1 个客户无需更改。"]


def test_forged_ids_of_others_customers_change_nothing(
    client, users, rep1_customer, rep2_customer, tag
):
    # Given rep1 posts rep2's customer next to their own
    response = client_for(client, users["rep1"]).post(
        BULK,
        {
            "action": "add_tag",
            "tag": tag.pk,
            "selected": [rep1_customer.customer_no, rep2_customer.customer_no],
        },
        headers=HTMX,
    )

    # Then nothing is tagged, and the bar says why
    assert tagged(tag) == set()
    assert "所选客户中有的你已无权修改" in response.content.decode()
    assert Customer.objects.get(pk=rep2_customer.pk).version == rep2_customer.version


def test_a_plain_post_that_fails_brings_back_the_ticks_and_the_error(
    client, users, make_customer
):
    # Given the manager ticks two of three customers and forgets the owner
    a, b, c = (make_customer(users["rep1"]) for _ in range(3))
    client_for(client, users["manager"])
    response = client.post(
        BULK,
        {
            "action": "reassign",
            "selected": [a.customer_no, c.customer_no],
            "next": "/customers/?per_page=25",
        },
    )

    # Then the list comes back with the same boxes ticked and the error by the input
    assert response.status_code == 302
    assert response["Location"] == "/customers/?per_page=25"
    body = client.get(response["Location"]).content.decode()
    assert f'value="{a.customer_no}" checked' in body
    assert f'value="{c.customer_no}" checked' in body
    assert f'value="{b.customer_no}" checked' not in body
    assert '<p class="error" id="bulk-owner_error">请选择新负责人。</p>' in body
    assert '<option value="reassign" selected' in body
    assert "已选 2 个客户" in body
    assert owners(a, b, c) == ["rep1"] * 3

    # And only once: the next visit is a fresh list
    again = client.get("/customers/").content.decode()
    assert "bulk-owner_error" not in again
    assert f'value="{a.customer_no}" checked' not in again


def test_an_htmx_post_that_fails_returns_the_bar_with_the_error(
    client, users, rep1_customer
):
    response = client_for(client, users["manager"]).post(
        BULK,
        {"action": "reassign", "selected": [rep1_customer.customer_no]},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="bulk-controls has-errors"')
    assert 'aria-invalid="true" id="bulk-owner"' in body
    assert "请选择新负责人。" in body
    assert "已选 1 个客户" in body


def test_no_selection_is_refused(client, users, rep1_customer, tag):
    response = client_for(client, users["rep1"]).post(
        BULK, {"action": "add_tag", "tag": tag.pk}, headers=HTMX
    )
    assert "请至少选择一个客户。" in response.content.decode()


def test_texts_in_the_bar_are_escaped(client, users, rep1_customer):
    Tag.objects.create(name="<img src=x onerror=alert(1)>")
    body = client_for(client, users["rep1"]).get(LIST).content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


# --- every customer matching the filters ------------------------------------------


def test_all_matching_refilters_over_what_the_user_may_change(
    client, users, make_customer, tag
):
    # Given rep1's level-A and level-B customers, a level-A customer of rep2's
    # shared with rep1 for viewing, and one not shared at all
    mine_a = [make_customer(users["rep1"], level="A") for _ in range(3)]
    mine_b = make_customer(users["rep1"], level="B")
    shared = make_customer(users["rep2"], level="A")
    services.customer_share(
        actor=users["rep2"], customer=shared, user=users["rep1"], level="view"
    )
    hidden = make_customer(users["rep2"], level="A")

    # When rep1 tags "all matching" the list filtered to level A, with the
    # B customer ticked on the page
    response = client_for(client, users["rep1"]).post(
        BULK,
        {
            "action": "add_tag",
            "tag": tag.pk,
            "all_matching": "on",
            "query": "level=A&page=2",
            "selected": [mine_b.customer_no],
        },
        headers=HTMX,
    )

    # Then the filters decide, over rep1's own customers only
    assert tagged(tag) == {c.customer_no for c in mine_a}
    assert shared.customer_no not in tagged(tag)
    assert hidden.customer_no not in tagged(tag)
    assert messages_of(response) == [
        "已更新 3 个客户。",
        "另有 1 个符合条件的客户你只能查看，未作更改。",
    ]
    assert response["HX-Redirect"]


def test_all_matching_reaches_past_the_page_with_the_search(
    client, users, make_customer
):
    # Given 30 customers named alike and one other, 25 to a page
    alike = [make_customer(users["rep1"], name=f"星辰贸易{i}号") for i in range(30)]
    other = make_customer(users["rep1"], name="无关公司")

    # When the manager reassigns all matching the search
    client_for(client, users["manager"]).post(
        BULK,
        {
            "action": "reassign",
            "owner": users["rep2"].pk,
            "all_matching": "on",
            "query": "q=星辰贸易&per_page=25",
        },
    )

    # Then all 30 moved, with their history and security events, and only they
    assert set(owners(*alike)) == {"rep2"}
    assert owners(other) == ["rep1"]
    entries = HistoryEntry.objects.filter(action=HistoryEntry.Action.REASSIGN)
    assert entries.count() == 30
    assert (
        SecurityEvent.objects.filter(kind="grant", target__endswith="→ rep2").count()
        == 30
    )


def test_all_matching_with_no_filter_takes_every_changeable_customer(
    client, users, make_customer, rep2_customer, tag
):
    mine = [make_customer(users["rep1"]) for _ in range(2)]
    client_for(client, users["rep1"]).post(
        BULK, {"action": "add_tag", "tag": tag.pk, "all_matching": "on", "query": ""}
    )
    assert tagged(tag) == {c.customer_no for c in mine}


@override_settings(CRM_LIST_COUNT_CAP=3)
def test_all_matching_beyond_the_cap_is_refused_with_a_message(
    client, users, make_customer, tag
):
    # Given four customers and a cap of three
    four = [make_customer(users["rep1"]) for _ in range(4)]
    c = client_for(client, users["rep1"])
    data = {"action": "add_tag", "tag": tag.pk, "all_matching": "on", "query": ""}

    # When all matching are tagged, nothing is, and the bar says why
    body = c.post(BULK, data, headers=HTMX).content.decode()
    assert "符合条件的客户超过 3 个" in body
    assert 'name="all_matching" value="on" checked' not in body  # not offered
    assert tagged(tag) == set()

    # And with the list narrowed to three, all three are
    Customer.objects.filter(pk=four[0].pk).update(level="D")
    c.post(BULK, {**data, "query": "level=C"}, headers=HTMX)
    assert tagged(tag) == {x.customer_no for x in four[1:]}


def test_invalid_filters_are_refused(client, users, rep1_customer, tag):
    body = (
        client_for(client, users["rep1"])
        .post(
            BULK,
            {
                "action": "add_tag",
                "tag": tag.pk,
                "all_matching": "on",
                "query": "level=Z",
            },
            headers=HTMX,
        )
        .content.decode()
    )
    assert "列表的筛选条件有误" in body
    assert tagged(tag) == set()


def test_the_list_offers_all_matching_only_past_one_page(client, users, make_customer):
    for _ in range(26):
        make_customer(users["rep1"])
    c = client_for(client, users["manager"])

    one_page = c.get(LIST, {"per_page": "50"}).content.decode()
    two_pages = c.get(LIST, {"per_page": "25", "level": "C"}).content.decode()

    assert "data-bulk-matching" not in one_page
    assert "选择全部 26 个符合条件的客户" in two_pages
    assert 'name="query" value="per_page=25&amp;level=C"' in two_pages


# --- cost ---------------------------------------------------------------------------


def post_queries(client, data) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(BULK, data, headers=HTMX)
    assert response.status_code == 200 and response.has_header("HX-Redirect")
    return len(ctx.captured_queries)


@pytest.mark.parametrize("action", ["add_tag", "remove_tag", "reassign"])
def test_queries_do_not_grow_with_the_selection(
    client, users, make_customer, tag, action
):
    few = [make_customer(users["rep1"]).customer_no for _ in range(5)]
    many = [make_customer(users["rep1"]).customer_no for _ in range(50)]
    if action == "remove_tag":
        Customer.tags.through.objects.bulk_create(
            Customer.tags.through(customer=c, tag=tag) for c in Customer.objects.all()
        )
    c = client_for(client, users["manager"])
    data = {"action": action, "tag": tag.pk, "owner": users["rep2"].pk}

    small = post_queries(c, {**data, "selected": few})
    large = post_queries(c, {**data, "selected": many})

    assert small == large
    assert Customer.objects.filter(version=2).count() == 55


def test_reassign_drops_a_share_the_new_owner_held(client, users, rep1_customer):
    services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="change"
    )
    client_for(client, users["manager"]).post(
        BULK,
        {
            "action": "reassign",
            "owner": users["rep2"].pk,
            "selected": [rep1_customer.customer_no],
        },
    )
    assert owners(rep1_customer) == ["rep2"]
    assert not permissions.users_with_object_perms(rep1_customer)
