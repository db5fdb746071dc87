"""The company settings: a versioned singleton whose name the pages show."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from administration.context_processors import company
from administration.models import CompanySettings
from crm.models import HistoryEntry
from tests.factories import client_for

URL = "/settings/company/"


@pytest.fixture
def admin(client, users):
    return client_for(client, users["admin"])


def form_data(**changes) -> dict:
    current = CompanySettings.load()
    data = {
        "name": current.name,
        "phone": current.phone,
        "email": current.email,
        "website": current.website,
        "address": current.address,
        "version": current.version,
    }
    data.update(changes)
    return data


def company_name() -> str:
    request = RequestFactory().get("/")
    return str(company(request)["company_name"])


def test_without_a_name_pages_show_the_products_name(db):
    assert company_name() == "CRM"


def test_an_admin_names_the_company_and_pages_show_it(admin, users):
    # when the administrator saves the company's name and contact details
    response = admin.post(
        URL,
        form_data(
            name="杭州云帆科技有限公司", phone="0571-88886666", address="杭州市西湖区"
        ),
    )

    # then they are stored, with history, and the name is what pages show
    assert response.status_code == 302
    saved = CompanySettings.load()
    assert (saved.name, saved.phone, saved.version) == (
        "杭州云帆科技有限公司",
        "0571-88886666",
        2,
    )
    entry = HistoryEntry.objects.get(object_id="1", action="update")
    assert entry.actor == users["admin"] and entry.version == 2
    assert {"field": "name", "old": "", "new": "杭州云帆科技有限公司"} in entry.changes
    assert company_name() == "杭州云帆科技有限公司"
    assert "公司设置已保存。" in admin.get(URL).content.decode()


def test_the_name_is_read_once_and_then_from_the_cache(
    admin, django_assert_num_queries
):
    admin.post(URL, form_data(name="云帆"))
    company_name()
    with django_assert_num_queries(0):
        assert company_name() == "云帆"


def test_a_stale_edit_is_refused_and_shows_the_other_change(admin, client, users):
    # given the form opened at version 1
    stale = form_data(name="我的名字")
    # and someone else saving meanwhile
    admin.post(URL, form_data(name="别人的名字", phone="021-12345678"))

    # when the first save arrives
    response = admin.post(URL, stale)

    # then it is not saved; the page explains and shows both values
    assert response.status_code == 200
    page = response.content.decode()
    assert "别人的名字" in page and "我的名字" in page
    assert "alert-warning" in page
    saved = CompanySettings.load()
    assert (saved.name, saved.version) == ("别人的名字", 2)


def test_bad_input_is_refused_next_to_its_field(admin):
    response = admin.post(URL, form_data(email="not-an-email", website="nope"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"email", "website"}
    assert CompanySettings.load().version == 1


def test_html_in_the_name_is_escaped_where_pages_show_it(admin):
    admin.post(URL, form_data(name="<i>云帆</i>"))
    html = Template("{{ company_name }}").render(
        Context(company(RequestFactory().get("/")))
    )
    assert html == "&lt;i&gt;云帆&lt;/i&gt;"


def test_every_page_shows_the_name_in_its_title_and_brand_escaped(admin):
    admin.post(URL, form_data(name="<b>云帆</b>科技"))
    page = admin.get("/").content.decode()
    assert "<title>工作台 · &lt;b&gt;云帆&lt;/b&gt;科技</title>" in page
    assert 'class="brand-name" title="&lt;b&gt;云帆&lt;/b&gt;科技"' in page
    assert "<b>云帆</b>" not in page
