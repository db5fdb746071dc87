"""What the customer pages show around the record: breadcrumbs, cancel links,
labels of the industry and level, and the history as readers see it."""

import re

import pytest
from django.utils import translation

from crm import permissions
from customers import services
from customers.models import Customer, Industry
from tests.factories import client_for


def crumbs(page: str) -> list[tuple[str, str | None]]:
    """[(text, href or None)] of the top bar's breadcrumb."""
    nav = re.search(r'<nav class="breadcrumb".*?</nav>', page, re.S).group()
    items = re.findall(
        r'<a href="([^"]*)">([^<]*)</a>|<span aria-current="page">([^<]*)</span>', nav
    )
    return [(text or current, href or None) for href, text, current in items]


def cancel_href(page: str) -> str:
    return re.search(r'<a class="btn btn-ghost" href="([^"]*)">取消</a>', page).group(1)


@pytest.mark.parametrize(
    "role, suffix, current",
    [
        ("rep1", "share/", "共享"),
        ("success", "renewal/", "续约日期"),
        ("admin", "delete/", "删除"),
        ("rep1", "edit/", "编辑"),
    ],
)
def test_sub_pages_opened_directly_name_the_customer_and_lead_back(
    client, users, make_customer, role, suffix, current
):
    customer = make_customer(
        users["rep1"], name="上海<b>粗体</b>有限公司", success_manager=users["success"]
    )
    url = customer.get_absolute_url()
    response = client_for(client, users[role]).get(url + suffix)
    page = response.content.decode()

    assert response.status_code == 200
    assert crumbs(page) == [
        ("客户", "/customers/"),
        ("上海&lt;b&gt;粗体&lt;/b&gt;有限公司", url),
        (current, None),
    ]
    assert cancel_href(page) == url
    assert "<b>粗体</b>" not in page


def test_share_page_after_an_error_still_names_the_customer(
    client, users, rep1_customer
):
    url = rep1_customer.get_absolute_url()
    response = client_for(client, users["rep1"]).post(
        url + "share/", {"user": users["rep1"].pk, "level": "view"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert crumbs(page)[1] == (rep1_customer.name, url)
    assert cancel_href(page) == url


def test_detail_and_trash_have_breadcrumbs(client, users, rep1_customer):
    c = client_for(client, users["admin"])
    detail = c.get(rep1_customer.get_absolute_url()).content.decode()
    assert crumbs(detail) == [("客户", "/customers/"), (rep1_customer.name, None)]
    trash = c.get("/customers/trash/").content.decode()
    assert crumbs(trash) == [("客户", "/customers/"), ("回收站", None)]


@pytest.mark.parametrize(
    "code, shown",
    [
        ("70", "房地产业"),
        ("65", "信息传输、软件和信息技术服务业 / 软件和信息技术服务业"),
    ],
)
def test_the_industry_is_named_once_when_section_and_division_agree(
    client, users, make_customer, code, shown
):
    customer = make_customer(users["rep1"], industry=Industry.objects.get(code=code))
    page = client_for(client, users["rep1"]).get(customer.get_absolute_url())
    assert f"<dd>{shown}</dd>" in page.content.decode()


@pytest.mark.parametrize("language, label", [("zh-hans", "A 级"), ("en", "Level A")])
def test_the_level_next_to_the_id_says_what_it_is(
    client, users, make_customer, language, label
):
    customer = make_customer(users["rep1"], level="A")
    client = client_for(client, users["rep1"])
    with translation.override(language):
        page = client.get(
            customer.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
    assert f'<span class="status level-A">{label}</span>' in page


def test_history_on_the_page_reads_as_sentences_and_is_escaped(
    client, users, make_customer
):
    customer = make_customer(
        users["rep1"],
        contacts=[services.ContactData(name="<i>李四</i>", phone="13800000000")],
    )
    users["rep2"].first_name = "<script>张三</script>"
    users["rep2"].save()
    services.customer_share(
        actor=users["rep1"], customer=customer, user=users["rep2"], level="view"
    )
    contact = customer.contacts.get()
    services.customer_update(
        actor=users["rep1"],
        customer=customer,
        data={},
        expected_version=Customer.objects.get(pk=customer.pk).version,
        contacts=[
            services.ContactData(name=contact.name, phone="13911111111", id=contact.pk)
        ],
    )
    # The service colleague sees every customer, contacts masked.
    page = client_for(client, users["service"]).get(customer.get_absolute_url())
    page = page.content.decode()
    assert "将客户共享给 &lt;script&gt;张三&lt;/script&gt;（rep2），权限：查看" in page
    assert (
        "联系人 &lt;i&gt;李四&lt;/i&gt;：联系方式 <del>138****0000</del> → "
        "<ins>139****1111</ins>" in page
    )
    assert "13911111111" not in page and "<script>张" not in page

    # The owner may see the numbers.
    permissions.revoke(users["rep2"], customer, ("view",))
    page = client_for(client, users["rep1"]).get(customer.get_absolute_url())
    assert "<ins>13911111111</ins>" in page.content.decode()
