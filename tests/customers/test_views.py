import pytest

from crm.models import CustomField
from customers import services
from customers.models import Customer, Tag
from tests import querycount
from tests.factories import client_for, customer_form_data, valid_code


def form_data(**overrides):
    data = {
        "name": "苏州新材料科技有限公司",
        "credit_code": "",
        "type": "enterprise",
        "industry": "26",
        "size": "100-499",
        "region": "32",
        "city": "苏州",
        "address": "苏州工业园区星湖街328号",
        "level": "B",
        "status": "potential",
        "historical_amount": "0",
        "products": "",
        "renewal_date": "",
        "first_cooperation_date": "",
        "success_manager": "",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-name": "王强",
        "contacts-0-title": "采购经理",
        "contacts-0-phone": "139 1234 5678",
        "contacts-0-email": "wq@sz-xcl.com",
    }
    data.update(overrides)
    return data


def test_rep_creates_customer_with_contact_tag_and_custom_field(client, users):
    CustomField.objects.create(
        target="customer",
        key="channel",
        label="获客渠道",
        field_type="choice",
        choices="展会\n转介绍",
        show_in_list=True,
        filterable=True,
    )
    tag = Tag.objects.get(name="高潜力客户")
    c = client_for(client, users["rep1"])
    response = c.post(
        "/customers/new/",
        form_data(tags=[tag.pk], cf_channel="展会", credit_code=valid_code()),
    )
    customer = Customer.objects.get(name="苏州新材料科技有限公司")
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url()
    assert customer.owner == users["rep1"]
    assert customer.custom == {"channel": "展会"}
    assert customer.contacts.get().phone == "13912345678"
    assert list(customer.tags.all()) == [tag]

    listing = c.get("/customers/?cf_channel=展会").content.decode()
    assert "苏州新材料科技有限公司" in listing and "获客渠道" in listing
    assert "苏州新材料" not in c.get("/customers/?cf_channel=转介绍").content.decode()
    detail = c.get(customer.get_absolute_url()).content.decode()
    assert "展会" in detail and "13912345678" in detail


def test_errors_are_shown_next_to_the_field_and_nothing_is_saved(client, users):
    c = client_for(client, users["rep1"])
    response = c.post(
        "/customers/new/",
        form_data(
            name="", credit_code="91330100799655058C", **{"contacts-0-phone": "12345"}
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "name" in form.errors and "credit_code" in form.errors
    html = response.content.decode()
    assert 'id="id_name_error"' in html and 'id="id_credit_code_error"' in html
    assert "校验" in html or "check digit" in html
    assert 'id="id_contacts-0-phone_error"' in html
    assert Customer.objects.count() == 0


def test_duplicate_credit_code_error_sits_on_the_field(client, users, make_customer):
    code = valid_code()
    make_customer(users["rep2"], credit_code=code)
    c = client_for(client, users["rep1"])
    response = c.post("/customers/new/", form_data(credit_code=code.lower()))
    assert "credit_code" in response.context["form"].errors
    assert Customer.objects.count() == 1


def test_stale_edit_is_refused_and_shows_the_other_change(client, users, rep1_customer):
    # Given rep1 opened the edit form, and the manager then changed the city
    c = client_for(client, users["rep1"])
    url = f"/customers/{rep1_customer.customer_no}/edit/"
    form = c.get(url).context["form"]
    loaded = {"version": form["version"].value(), "loaded": form["loaded"].value()}
    services.customer_update(
        actor=users["manager"],
        customer=rep1_customer,
        data={"city": "宁波"},
        expected_version=loaded["version"],
    )

    # When rep1 saves a new address from the old version
    mine = customer_form_data(rep1_customer, address="温州路1号", **loaded)
    mine["city"] = ""  # the city as rep1 loaded it
    response = c.post(url, mine)

    # Then nothing is saved and the manager's change is shown
    html = response.content.decode()
    assert response.status_code == 200
    assert "alert-warning" in html and "宁波" in html
    assert Customer.objects.get(pk=rep1_customer.pk).address == ""

    # And saving the form as shown again keeps both changes
    merged = response.context["form"]
    again = customer_form_data(
        rep1_customer,
        address=merged["address"].value(),
        city=merged["city"].value(),
        version=merged["version"].value(),
        loaded=merged["loaded"].value(),
    )
    assert c.post(url, again).status_code == 302
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert (saved.city, saved.address) == ("宁波", "温州路1号")


def test_detail_shows_history(client, users, rep1_customer):
    services.customer_update(
        actor=users["rep1"],
        customer=rep1_customer,
        data={"level": "A"},
        expected_version=rep1_customer.version,
    )
    html = client_for(client, users["rep1"]).get(rep1_customer.get_absolute_url())
    text = html.content.decode()
    assert "<del>C</del> → <ins>A</ins>" in text


def test_search_finds_by_name_id_contact_phone_and_email(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    for q in ["一号科技", rep1_customer.customer_no, "张伟", "13812345678", "zw@a.com"]:
        names = [x.name for x in c.get("/customers/", {"q": q}).context["object_list"]]
        assert names == [rep1_customer.name], q
    assert not c.get("/customers/", {"q": "不存在"}).context["object_list"]


def test_htmx_request_gets_only_the_results_partial(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    response = c.get("/customers/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert rep1_customer.name in html
    assert "<html" not in html and 'id="filters"' not in html


def test_sorting_by_amount(client, users, make_customer):
    make_customer(users["rep1"], name="小客户", historical_amount=10)
    make_customer(users["rep1"], name="大客户", historical_amount=1000)
    c = client_for(client, users["rep1"])
    asc = c.get("/customers/", {"ordering": "historical_amount"}).context["object_list"]
    desc = c.get("/customers/", {"ordering": "-historical_amount"})
    assert [x.name for x in asc] == ["小客户", "大客户"]
    assert [x.name for x in desc.context["object_list"]] == ["大客户", "小客户"]


@pytest.mark.parametrize("role", ["rep1", "admin"])
def test_list_queries_do_not_grow_with_rows(client, users, make_customer, role):
    tags = list(Tag.objects.all()[:2])
    contacts = [services.ContactData(name="甲", phone="13800000000")]
    make_customer(users["rep1"], tags=tags, contacts=contacts)
    c = client_for(client, users[role])
    few = querycount.count(c, "/customers/")
    for _ in range(20):
        make_customer(users["rep1"], tags=tags, contacts=contacts)
    assert querycount.count(c, "/customers/") == few
    assert querycount.count(c, "/customers/?per_page=100") == few


def test_detail_queries_do_not_grow_with_contacts(client, users, make_customer):
    c = client_for(client, users["rep1"])
    small = make_customer(users["rep1"], contacts=[services.ContactData(name="甲")])
    big = make_customer(
        users["rep1"], contacts=[services.ContactData(name=f"人{i}") for i in range(10)]
    )
    assert querycount.count(c, small.get_absolute_url()) == querycount.count(
        c, big.get_absolute_url()
    )


def test_bulk_tag_only_touches_selected_changeable_rows(
    client, users, rep1_customer, rep2_customer
):
    tag = Tag.objects.get(name="重点客户")
    c = client_for(client, users["rep1"])
    response = c.post(
        "/customers/bulk/",
        {
            "action": "add_tag",
            "tag": tag.pk,
            "selected": [rep1_customer.customer_no, rep2_customer.customer_no],
        },
    )
    assert response.status_code == 302
    assert list(tag.customer_set.all()) == []  # one foreign row voids the request
    c.post(
        "/customers/bulk/",
        {"action": "add_tag", "tag": tag.pk, "selected": [rep1_customer.customer_no]},
    )
    assert list(tag.customer_set.all()) == [rep1_customer]


def test_admin_export_streams_the_filtered_view_and_is_logged(
    client, users, make_customer
):
    make_customer(users["rep1"], name="=HYPERLINK(恶意)", level="A")
    make_customer(users["rep1"], name="普通客户", level="B")
    c = client_for(client, users["admin"])
    response = c.get("/customers/export/", {"level": "A"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("客户ID,客户名称")
    assert len(lines) == 2 and "'=HYPERLINK" in lines[1]
    from crm.models import SecurityEvent

    event = SecurityEvent.objects.get(kind="export")
    assert event.rows == 1 and event.actor == users["admin"]


def test_trash_restore_via_pages(client, users, rep1_customer):
    c = client_for(client, users["admin"])
    url = f"/customers/{rep1_customer.customer_no}/delete/"
    assert c.post(url).status_code == 302
    assert c.get(rep1_customer.get_absolute_url()).status_code == 404
    assert rep1_customer.name in c.get("/customers/trash/").content.decode()
    c.post(f"/customers/trash/{rep1_customer.customer_no}/restore/")
    assert c.get(rep1_customer.get_absolute_url()).status_code == 200


def test_renewal_form_for_the_success_manager(client, users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    c = client_for(client, users["success"])
    url = f"/customers/{customer.customer_no}/renewal/"
    response = c.post(url, {"renewal_date": "2027-01-31", "version": customer.version})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert str(customer.renewal_date) == "2027-01-31"
    assert c.get(f"/customers/{customer.customer_no}/edit/").status_code == 403


def test_date_inputs_carry_iso_values_in_every_language(client, users, make_customer):
    import datetime

    customer = make_customer(users["rep1"], renewal_date=datetime.date(2026, 12, 28))
    html = client_for(client, users["rep1"]).get(
        f"/customers/{customer.customer_no}/edit/"
    )
    assert 'type="date" name="renewal_date" value="2026-12-28"' in html.content.decode()


def test_list_count_is_capped_for_huge_lists(client, users, make_customer, settings):
    settings.CRM_LIST_COUNT_CAP = 3
    for _ in range(5):
        make_customer(users["rep1"])
    response = client_for(client, users["rep1"]).get("/customers/?per_page=25")
    assert response.context["paginator"].capped
    assert len(response.context["object_list"]) == 4  # cap + 1 rows are reachable
    assert "超过 3 个客户" in response.content.decode()
    settings.CRM_LIST_COUNT_CAP = 10
    response = client_for(client, users["rep1"]).get("/customers/")
    assert not response.context["paginator"].capped
    assert response.context["paginator"].count == 5


def test_trash_pages_through_many_deleted_customers(client, users, make_customer):
    for _ in range(51):
        services.customer_delete(
            actor=users["admin"], customer=make_customer(users["rep1"])
        )
    c = client_for(client, users["admin"])
    first = c.get("/customers/trash/")
    assert len(first.context["object_list"]) == 50
    assert 'href="?page=2"' in first.content.decode()
    assert len(c.get("/customers/trash/?page=2").context["object_list"]) == 1


def test_list_pages_keep_the_filters(client, users, make_customer):
    for _ in range(27):
        make_customer(users["rep1"], level="A")
    make_customer(users["rep1"], level="B")
    c = client_for(client, users["rep1"])
    first = c.get("/customers/", {"level": "A"}).content.decode()
    assert 'href="?level=A&amp;page=2"' in first
    second = c.get("/customers/", {"level": "A", "page": 2})
    assert len(second.context["object_list"]) == 2


def test_a_forged_contact_count_neither_wipes_nor_floods(client, users, rep1_customer):
    # Given rep1's customer with one contact
    c = client_for(client, users["rep1"])
    url = f"/customers/{rep1_customer.customer_no}/edit/"

    # When the edit form arrives with a negative or huge contact count
    for total in ("-1", "0", "99999999999999999999"):
        data = customer_form_data(rep1_customer, **{"contacts-TOTAL_FORMS": total})
        response = c.post(url, data)

        # Then nothing is saved and the contact is still there
        assert response.status_code == 200, total
        assert rep1_customer.contacts.count() == 1, total
