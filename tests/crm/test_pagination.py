"""List page sizes (crm/pagination.py): only the sizes offered."""

import pytest

from crm.pagination import page_size
from tests.factories import client_for


@pytest.mark.parametrize(
    "asked, given",
    [
        ("25", 25),
        ("50", 50),
        ("100", 100),
        ("1000", 25),
        ("101", 25),
        ("0", 25),
        ("-1", 25),
        ("²", 25),
        ("", 25),
        (None, 25),
    ],
)
def test_page_size_falls_back_to_the_default(settings, asked, given):
    settings.CRM_PAGE_SIZES = (25, 50, 100)
    assert page_size(asked) == given


def test_the_list_never_pages_by_more_than_offered(client, users, make_customer):
    for i in range(26):
        make_customer(users["rep1"], name=f"分页客户{i:02d}有限公司")
    response = client_for(client, users["rep1"]).get("/customers/?per_page=100000")
    assert response.context["per_page"] == 25
    assert len(response.context["object_list"]) == 25
