"""The tag section: usage counts, create, rename/recolour, merge, delete."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import HistoryEntry, SecurityEvent
from customers import settings_services
from customers.models import Customer, Tag
from tests.factories import client_for

LIST = "/settings/tags/"
MERGE = "/settings/tags/merge/"


@pytest.fixture
def admin(client, users):
    return client_for(client, users["admin"])


def tag_names(customer: Customer) -> list[str]:
    return sorted(customer.tags.values_list("name", flat=True))


def test_the_list_counts_customers_per_tag_in_one_query(admin, users, make_customer):
    # given tags on some customers (one of them in the trash)
    key, risk = Tag.objects.get(name="重点客户"), Tag.objects.get(name="风险客户")
    make_customer(users["rep1"], tags=[key, risk])
    make_customer(users["rep1"], tags=[key])
    trashed = make_customer(users["rep1"], tags=[key])
    Customer.objects.filter(pk=trashed.pk).update(deleted_at="2024-01-01T00:00Z")
    admin.get(LIST)

    # when the administrator opens the list
    with CaptureQueriesContext(connection) as few:
        response = admin.get(LIST)
    for i in range(20):
        Tag.objects.create(name=f"更多标签{i}")
    with CaptureQueriesContext(connection) as many:
        admin.get(LIST)

    # then each tag shows how many customers carry it, and twenty more tags
    # cost no extra query
    counts = {t.name: t.customer_count for t in response.context["tags"]}
    assert counts["重点客户"] == 2 and counts["风险客户"] == 1
    assert counts["战略合作伙伴"] == 0
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_admin_adds_renames_and_recolours_a_tag(admin, users):
    response = admin.post(
        "/settings/tags/new/", {"name": " 华东 大客户 ", "colour": "purple"}
    )
    assert response.status_code == 302
    tag = Tag.objects.get(name="华东 大客户")
    assert tag.colour == "purple"

    url = reverse("customer_settings:tag_update", args=[tag.pk])
    response = admin.post(url, {"name": "华东重点", "colour": "green"})

    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("华东重点", "green")
    entry = HistoryEntry.objects.filter(object_id=str(tag.pk), action="update").get()
    assert entry.actor == users["admin"]
    assert {"field": "name", "old": "华东 大客户", "new": "华东重点"} in entry.changes
    assert "已保存标签“华东重点”。" in admin.get(LIST).content.decode()


def test_a_taken_name_is_refused_next_to_the_field(admin):
    response = admin.post("/settings/tags/new/", {"name": "重点客户", "colour": "red"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "已有名为“重点客户”的标签，请改为合并到该标签。"
    ]
    assert Tag.objects.filter(name="重点客户").count() == 1


def test_merging_leaves_each_customer_exactly_one_link_to_the_target(
    admin, users, make_customer
):
    # given duplicates: 重点客户 and 重点维护客户 kept apart by habit, and a
    # customer carrying both the source and the target already
    target = Tag.objects.get(name="重点客户")
    dup = Tag.objects.get(name="重点维护客户")
    risk = Tag.objects.get(name="风险客户")
    both = make_customer(users["rep1"], tags=[target, dup])
    dup_only = make_customer(users["rep1"], tags=[dup, risk])
    risk_only = make_customer(users["rep2"], tags=[risk])
    untouched = make_customer(users["rep2"], tags=[target])
    versions = {c.pk: c.version for c in Customer.objects.all()}

    # when the administrator merges 重点维护客户 and 风险客户 into 重点客户
    response = admin.post(MERGE, {"sources": [dup.pk, risk.pk], "target": target.pk})

    # then every customer carries 重点客户 exactly once and the sources are gone
    assert response.status_code == 302
    Link = Customer.tags.through
    for customer in (both, dup_only, risk_only, untouched):
        assert tag_names(customer) == ["重点客户"]
        assert Link.objects.filter(customer=customer, tag=target).count() == 1
    assert not Tag.objects.filter(pk__in=[dup.pk, risk.pk]).exists()

    # and each changed customer has a new version and a history entry
    for customer, lost, gained in (
        (both, ["重点维护客户"], []),
        (dup_only, ["重点维护客户", "风险客户"], ["重点客户"]),
        (risk_only, ["风险客户"], ["重点客户"]),
    ):
        customer.refresh_from_db()
        assert customer.version == versions[customer.pk] + 1
        entry = HistoryEntry.objects.filter(
            object_id=str(customer.pk), action="update"
        ).get()
        assert entry.changes == [{"field": "tags", "old": lost, "new": gained}]
        assert entry.version == customer.version
    untouched.refresh_from_db()
    assert untouched.version == versions[untouched.pk]

    # and the merge is logged with the number of customers changed
    event = SecurityEvent.objects.get(kind="purge")
    assert (event.target, event.rows) == ("重点维护客户、风险客户 → 重点客户", 3)
    page = admin.get(LIST).content.decode()
    assert "已合并到“重点客户”，3 个客户的标签随之更新。" in page


def test_a_merge_that_fails_half_way_changes_nothing(users, make_customer, monkeypatch):
    # given two tags on customers
    target, dup = Tag.objects.get(name="重点客户"), Tag.objects.get(name="重点维护客户")
    customer = make_customer(users["rep1"], tags=[dup])

    # when writing the history fails after the links were added
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(HistoryEntry.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        settings_services.tags_merge(actor=users["admin"], sources=[dup], target=target)

    # then nothing changed: the link, the tag and the version are as before
    assert tag_names(customer) == ["重点维护客户"]
    assert Tag.objects.filter(pk=dup.pk).exists()
    assert Customer.objects.get(pk=customer.pk).version == customer.version
    assert not SecurityEvent.objects.filter(kind="purge").exists()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"target": "KEEP"}, "sources", "请选择要合并的标签。"),
        (
            {"sources": ["KEEP"], "target": "KEEP"},
            "sources",
            "请至少选择一个与保留标签不同的标签。",
        ),
        ({"sources": ["DUP"]}, "target", "请选择要保留的标签。"),
    ],
)
def test_an_incomplete_merge_is_refused_with_a_message(admin, data, field, message):
    ids = {
        "KEEP": Tag.objects.get(name="重点客户").pk,
        "DUP": Tag.objects.get(name="重点维护客户").pk,
    }
    posted = {
        k: ([ids[x] for x in v] if isinstance(v, list) else ids[v])
        for k, v in data.items()
    }
    response = admin.post(MERGE, posted)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Tag.objects.count() == 5


def test_delete_asks_first_with_the_number_of_customers_tagged(
    admin, users, make_customer
):
    # given a tag on two customers
    risk = Tag.objects.get(name="风险客户")
    a = make_customer(users["rep1"], tags=[risk])
    make_customer(users["rep1"], tags=[risk])
    url = reverse("customer_settings:tag_delete", args=[risk.pk])

    # when the administrator opens the delete page
    page = admin.get(url).content.decode()

    # then it says how many customers carry the tag
    assert "有 2 个客户带有此标签，删除后将失去该标签。" in page
    assert Tag.objects.filter(pk=risk.pk).exists()

    # when they confirm, the tag goes and the customers lose it, with history
    response = admin.post(url)
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=risk.pk).exists()
    assert tag_names(a) == []
    entry = HistoryEntry.objects.get(object_id=str(a.pk), action="update")
    assert entry.changes == [{"field": "tags", "old": ["风险客户"], "new": []}]
    assert SecurityEvent.objects.get(kind="purge").rows == 2


def test_html_in_a_tag_name_is_shown_as_text(admin):
    name = "<b>加粗</b>"
    admin.post("/settings/tags/new/", {"name": name, "colour": "red"})
    page = admin.get(LIST).content.decode()
    assert name not in page and "&lt;b&gt;加粗&lt;/b&gt;" in page
    merge = admin.get(MERGE).content.decode()
    assert name not in merge and "&lt;b&gt;加粗&lt;/b&gt;" in merge
