import datetime

from django.utils import timezone

from tests.factories import client_for


def panels(response) -> dict:
    return {p["name"]: p["data"] for p in response.context["panels"]}


def test_workbench_shows_my_recent_customers_and_due_renewals(
    client, users, make_customer
):
    today = timezone.localdate()
    soon = make_customer(
        users["rep1"], name="即将续约公司", renewal_date=today + datetime.timedelta(10)
    )
    make_customer(
        users["rep1"], name="远期续约公司", renewal_date=today + datetime.timedelta(200)
    )
    make_customer(users["rep2"], name="别人的公司", status="active")
    response = client_for(client, users["rep1"]).get("/")
    mine, renewals = (
        panels(response)["customers.mine"],
        panels(response)["customers.renewals"],
    )
    assert [c.name for c in renewals["renewals"]] == [soon.name]
    assert {c.name for c in mine["recent"]} == {"即将续约公司", "远期续约公司"}
    counts = {value: n for value, _label, n in mine["status_counts"]}
    assert counts == {"potential": 2, "active": 0, "lost": 0}
    assert "别人的公司" not in response.content.decode()


def test_success_manager_sees_renewals_of_assigned_customers(
    client, users, make_customer
):
    today = timezone.localdate()
    make_customer(
        users["rep1"],
        name="成功经理的客户",
        success_manager=users["success"],
        renewal_date=today + datetime.timedelta(5),
    )
    response = client_for(client, users["success"]).get("/")
    renewals = panels(response)["customers.renewals"]["renewals"]
    assert [c.name for c in renewals] == ["成功经理的客户"]


def test_my_counts_stop_at_the_list_cap(client, users, make_customer, settings):
    settings.CRM_LIST_COUNT_CAP = 2
    for i in range(3):
        make_customer(users["rep1"], name=f"封顶公司{i}")
    response = client_for(client, users["rep1"]).get("/")
    mine = panels(response)["customers.mine"]
    counts = {value: n for value, _label, n in mine["status_counts"]}
    assert counts == {"potential": 3, "active": 0, "lost": 0}
    assert mine["visible_count"] == 3
    assert response.content.decode().count("2+") == 2  # potential, and visible


def test_customers_i_can_see_include_shares_and_managed(client, users, make_customer):
    from crm import permissions

    make_customer(users["rep1"], name="自己的公司")
    shared = make_customer(users["rep2"], name="共享的公司")
    make_customer(users["rep2"], name="别人的公司")
    permissions.grant(users["rep1"], shared, ["view"])
    mine = panels(client_for(client, users["rep1"]).get("/"))["customers.mine"]
    assert mine["visible_count"] == 2
