"""Hostile values in every query-string parameter and form field: no 5xx, no raw echo.

Each test signs in one client per role and walks the whole table of values
through every parameter (or field) of one page; failures are collected so one
run names every parameter/value pair that broke.
"""

from urllib.parse import quote

import pytest

from crm.models import CustomField
from customers import services
from customers.models import Customer, Tag
from tests.conftest import client_for, customer_form_data

BIG = "99999999999999999999"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

HOSTILE = [
    "²",
    "１２",
    "-1",
    "0",
    "1e9",
    BIG,
    "-" + BIG,
    "9223372036854775808",
    "",
    " ",
    "NaN",
    "1.5",
    SCRIPT,
    IMG,
    "' OR 1=1 --",
    "%00",
    "\x00",
    "ｒｅｐ",
    "😀" * 50,
    "x" * 5000,
    ["1", "1", BIG, BIG],
    [SCRIPT, SCRIPT, IMG],
]
NUMBERS = ["²", "-1", "0", "1e9", BIG, "-" + BIG, "1.5", "NaN"]
RAW_ECHOES = ("<script>alert(1)", "<img src=x")

LIST_PARAMS = [
    "q",
    "industry",
    "section",
    "region",
    "area",
    "size",
    "level",
    "status",
    "tag",
    "owner",
    "ordering",
    "page",
    "per_page",
]
CUSTOM_TYPES = [
    (CustomField.Type.TEXT, ""),
    (CustomField.Type.LONG_TEXT, ""),
    (CustomField.Type.INTEGER, ""),
    (CustomField.Type.DECIMAL, ""),
    (CustomField.Type.DATE, ""),
    (CustomField.Type.CHOICE, "展会\n转介绍"),
    (CustomField.Type.MULTI_CHOICE, "华东\n华南"),
    (CustomField.Type.BOOLEAN, ""),
]
ROLES = ["admin", "rep1"]


@pytest.fixture
def custom_fields(db) -> list[str]:
    """One filterable list column per custom-field type; returns the cf_ names."""
    for n, (field_type, choices) in enumerate(CUSTOM_TYPES):
        CustomField.objects.create(
            target=CustomField.Target.CUSTOMER,
            key=f"k_{field_type}",
            label=f"字段{n}",
            field_type=field_type,
            choices=choices,
            show_in_list=True,
            filterable=True,
        )
    return [f"cf_k_{field_type}" for field_type, _ in CUSTOM_TYPES]


@pytest.fixture
def customer(users, make_customer) -> Customer:
    """A customer rep1 owns, with a contact and a tag, in every role's view."""
    return make_customer(
        users["rep1"],
        tags=[Tag.objects.first()],
        contacts=[
            services.ContactData(
                name="张伟", title="采购总监", phone="13812345678", email="zw@a.com"
            )
        ],
    )


class Problems(list):
    """Every (request, value, what went wrong) a walk through the table found."""

    def check(self, where: str, value, response) -> None:
        if response.streaming:
            # The CSV is written while it streams; read it to run that code.
            b"".join(response.streaming_content)
        if response.status_code >= 500:
            self.append((where, repr(value)[:40], response.status_code))
        elif response.get("Content-Type", "").startswith("text/html"):
            body = response.content.decode()
            self.extend(
                (where, repr(value)[:40], f"raw {echo!r} in the page")
                for echo in RAW_ECHOES
                if echo in body
            )


def walk(send, fields, every, problems: Problems, values=HOSTILE) -> None:
    """Each value in all `fields` at once, then `values` in each of `every` alone.

    A form cleans every field whatever the others hold, so one request per
    value exercises every field's parsing and the echo on the re-rendered
    page. A value a field accepts (free text, a number) goes on to the
    database only when every other field is valid, so those fields also get
    the values they may accept on their own.
    """
    for value in HOSTILE:
        problems.check("all fields", value, send(dict.fromkeys(fields, value)))
    for field in every:
        for value in values:
            problems.check(field, value, send({field: value}))


def free_custom(names: list[str]) -> list[str]:
    free = {CustomField.Type.TEXT, CustomField.Type.LONG_TEXT}
    free |= {CustomField.Type.INTEGER, CustomField.Type.DECIMAL}
    return [f"cf_k_{t}" for t in free if f"cf_k_{t}" in names]


@pytest.mark.parametrize("path", ["/customers/", "/customers/export/"])
@pytest.mark.parametrize("role", ROLES)
def test_customer_list_and_export_survive_hostile_parameters(
    client, users, customer, custom_fields, role, path
):
    c = client_for(client, users[role])
    problems = Problems()
    walk(
        lambda params: c.get(path, params),
        LIST_PARAMS + custom_fields,
        ["q", "section", "area", "page", "per_page", *free_custom(custom_fields)],
        problems,
    )
    assert problems == []


CUSTOMER_FIELDS = [
    "name",
    "credit_code",
    "type",
    "industry",
    "size",
    "region",
    "city",
    "address",
    "level",
    "status",
    "first_cooperation_date",
    "historical_amount",
    "products",
    "tags",
    "owner",
    "success_manager",
    "renewal_date",
    "version",
]
CONTACT_FIELDS = [
    f"contacts-0-{name}"
    for name in ("id", "name", "title", "phone", "email", "is_primary", "note")
] + ["contacts-0-DELETE"]
NUMBER_FIELDS = [
    "historical_amount",
    "version",
    "contacts-TOTAL_FORMS",
    "contacts-INITIAL_FORMS",
    "cf_k_integer",
    "cf_k_decimal",
]
NEW_CONTACT = {
    "contacts-TOTAL_FORMS": "1",
    "contacts-0-name": "王强",
    "contacts-0-phone": "13912345678",
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["create", "edit"])
def test_customer_form_survives_hostile_values(
    client, users, customer, custom_fields, role, page
):
    c = client_for(client, users[role])
    if page == "create":
        # Creating saves through the same code as editing (numbers are walked
        # there, where `version` also meets the stale-edit check).
        every = []

        def send(changes):
            base = customer_form_data(owner=users[role].pk, **NEW_CONTACT)
            return c.post("/customers/new/", {**base, **changes})
    else:
        every = NUMBER_FIELDS

        def send(changes):
            customer.refresh_from_db()
            return c.post(
                f"/customers/{customer.customer_no}/edit/",
                {**customer_form_data(customer), **changes},
            )

    problems = Problems()
    fields = CUSTOMER_FIELDS + CONTACT_FIELDS + custom_fields
    walk(send, fields, every, problems, values=NUMBERS)
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_saved_markup_is_shown_escaped(client, users, customer, custom_fields, role):
    c = client_for(client, users[role])
    customer.refresh_from_db()
    text = {"name": SCRIPT, "city": IMG, "address": SCRIPT, "products": IMG}
    text |= {"contacts-0-name": SCRIPT, "contacts-0-title": IMG}
    text |= {"contacts-0-note": SCRIPT, "cf_k_text": IMG, "cf_k_long_text": SCRIPT}
    saved = c.post(
        f"/customers/{customer.customer_no}/edit/",
        {**customer_form_data(customer), **text},
    )
    assert saved.status_code == 302
    problems = Problems()
    for path in (saved["Location"], "/customers/", "/customers/?q=script"):
        problems.check(path, "saved", c.get(path))
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_bulk_share_and_renewal_forms_survive_hostile_values(
    client, users, customer, role
):
    c = client_for(client, users[role])
    no = customer.customer_no
    problems = Problems()
    bulk = {"action": "add_tag", "selected": [no], "tag": Tag.objects.first().pk}
    fields = ["action", "selected", "owner", "tag", "next"]
    walk(
        lambda d: c.post("/customers/bulk/", {**bulk, **d}), fields, ["next"], problems
    )
    share = {"user": users["rep2"].pk, "level": "view"}
    walk(
        lambda d: c.post(f"/customers/{no}/share/", {**share, **d}),
        ["user", "level", "remove"],
        ["remove"],
        problems,
    )

    def renew(changes):
        customer.refresh_from_db()
        base = {"renewal_date": "2030-01-01", "version": customer.version}
        return c.post(f"/customers/{no}/renewal/", {**base, **changes})

    walk(renew, ["renewal_date", "version"], ["version"], problems, values=NUMBERS)
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_trash_actions_survive_hostile_customer_numbers(client, users, role):
    c = client_for(client, users[role])
    problems = Problems()
    for value in HOSTILE:
        if isinstance(value, list) or not value.strip():
            continue
        for action in ("restore", "purge"):
            path = f"/customers/trash/{quote(value, safe='')}/{action}/"
            problems.check(path, value, c.post(path, {"next": value}))
    walk(lambda d: c.get("/customers/trash/", d), ["page"], [], problems)
    assert problems == []
