"""'Export this view' exports the filters on screen, also after an htmx filter."""

import csv
import html
import io
import re

from crm.models import SecurityEvent
from tests.factories import client_for

EXPORT_LINK = re.compile(r'<a [^>]*id="export-link"[^>]*>')
# The panel of the export menu, sent out of band (the menu itself stays, open
# or closed, as the user left it).
EXPORT_MENU = re.compile(r'<div [^>]*id="export-menu-panel"[^>]*>')
HREF = re.compile(r'href="([^"]*)"')


def export_links(response) -> list[str]:
    """Every export link tag of a response."""
    return EXPORT_LINK.findall(response.content.decode())


def href(tag: str) -> str:
    return html.unescape(HREF.search(tag).group(1))


def exported_numbers(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return sorted(row["客户ID"] for row in csv.DictReader(io.StringIO(text)))


def test_the_htmx_results_partial_carries_the_filtered_export_link(
    client, users, make_customer
):
    # Given an admin on the customer list, with an A and a C customer
    a = make_customer(users["rep1"], name="甲级客户有限公司", level="A")
    make_customer(users["rep1"], name="丙级客户有限公司", level="C")
    c = client_for(client, users["admin"])
    [page_link] = export_links(c.get("/customers/"))
    assert href(page_link) == "/customers/export/?"

    # When the filter bar asks htmx for the results of level A
    response = c.get(
        "/customers/",
        {"level": "A", "q": "客户", "page": "1"},
        headers={"HX-Request": "true"},
    )

    # Then the partial sends the export link out of band with those filters
    # (not the page number: the export holds every page)
    [tag] = export_links(response)
    [menu] = EXPORT_MENU.findall(response.content.decode())
    assert 'hx-swap-oob="true"' in menu
    url = href(tag)
    assert url.startswith("/customers/export/?")
    assert "level=A" in url and "page" not in url
    # and that link exports exactly the rows on screen, logged with its query
    assert exported_numbers(c, url) == [a.customer_no]
    # and so does its .xlsx twin
    [xlsx] = re.findall(
        r'id="export-link-xlsx" href="([^"]*)"', response.content.decode()
    )
    assert html.unescape(xlsx) == url.replace("?", "?format=xlsx&", 1)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.rows == 1
    assert event.detail["query"] == url.split("?", 1)[1]
    assert event.detail["format"] == "csv"


def test_the_full_page_has_one_export_link(client, users, rep1_customer):
    c = client_for(client, users["admin"])
    response = c.get("/customers/", {"level": "A"})
    assert [href(t) for t in export_links(response)] == ["/customers/export/?level=A"]


def test_no_export_link_for_a_user_who_may_not_export(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    page = c.get("/customers/")
    assert export_links(page) == [] and "export-menu" not in page.content.decode()
    partial = c.get("/customers/", {"level": "A"}, headers={"HX-Request": "true"})
    assert export_links(partial) == []
    assert "export-menu" not in partial.content.decode()
