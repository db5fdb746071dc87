"""Hostile values in every query-string parameter and form field: no 5xx, no raw echo.

Each test signs in one client per role and walks a page's parameters (or
fields) through the table of values; failures are collected so one run names
every parameter/value pair that broke.

A form cleans every field whatever the others hold, so one request per value
with the value in all fields at once exercises every field's parsing and the
echo on the re-rendered page. A value goes on to the database (a search, a
save) only when all the other fields are valid, so the fields that accept free
text or numbers then get those values alone: that keeps the walk to a few
hundred requests, fast enough for CI on SQLite and PostgreSQL.
"""

from urllib.parse import quote

import pytest

from crm.models import CustomField
from customers import services
from customers.forms import CustomerForm
from customers.models import Customer, Tag
from tests.factories import client_for, customer_form_data

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
TEXTS = [SCRIPT, IMG, "' OR 1=1 --", "%00", "ｒｅｐ", "😀" * 50, "x" * 5000]
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


def walk(send, problems: Problems, *passes) -> None:
    """Each pass is (fields, values): every value is sent in all its fields at once."""
    for fields, values in passes:
        for value in values:
            changes = dict.fromkeys(fields, value)
            problems.check(" ".join(fields), value, send(changes))


def custom(field_type: str) -> str:
    return f"cf_k_{field_type}"


@pytest.mark.parametrize("path", ["/customers/", "/customers/export/"])
@pytest.mark.parametrize("role", ROLES)
def test_customer_list_and_export_survive_hostile_parameters(
    client, users, customer, custom_fields, role, path
):
    c = client_for(client, users[role])
    text = ["q", "section", "area", custom("text"), custom("long_text")]
    numbers = ["page", "per_page", custom("integer"), custom("decimal")]
    problems = Problems()
    walk(
        lambda params: c.get(path, params),
        problems,
        (LIST_PARAMS + custom_fields, HOSTILE),
        (text, TEXTS),
        *[([name], NUMBERS) for name in numbers],
    )
    assert problems == []


# Every field the customer form edits, so a field added there is fuzzed too.
CUSTOMER_FIELDS = [*CustomerForm.Meta.fields, "version"]
CONTACT_FIELDS = [
    f"contacts-0-{name}"
    for name in ("id", "name", "title", "phone", "email", "is_primary", "note")
] + ["contacts-0-DELETE"]
NUMBER_FIELDS = ["historical_amount", "version", "cf_k_integer", "cf_k_decimal"]
# Django builds up to absolute_max (2,000) forms for a huge count: slow, not
# broken, so the contact counts get the small numbers only.
COUNT_FIELDS = ["contacts-TOTAL_FORMS", "contacts-INITIAL_FORMS"]
COUNTS = [n for n in NUMBERS if n != BIG]
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
        # Creating saves through the same code as editing; numbers are walked
        # there, where `version` also meets the stale-edit check.
        passes = []

        def send(changes):
            base = customer_form_data(owner=users[role].pk, **NEW_CONTACT)
            return c.post("/customers/new/", {**base, **changes})
    else:
        passes = [([name], NUMBERS) for name in NUMBER_FIELDS]
        passes += [([name], COUNTS) for name in COUNT_FIELDS]

        def send(changes):
            customer.refresh_from_db()
            return c.post(
                f"/customers/{customer.customer_no}/edit/",
                {**customer_form_data(customer), **changes},
            )

    problems = Problems()
    walk(
        send,
        problems,
        (CUSTOMER_FIELDS + CONTACT_FIELDS + custom_fields, HOSTILE),
        *passes,
    )
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
    walk(
        lambda changes: c.post("/customers/bulk/", {**bulk, **changes}),
        problems,
        (["action", "selected", "owner", "tag", "next"], HOSTILE),
        (["next"], TEXTS),
    )
    share = {"user": users["rep2"].pk, "level": "view"}
    walk(
        lambda changes: c.post(f"/customers/{no}/share/", {**share, **changes}),
        problems,
        (["user", "level", "remove"], HOSTILE),
        (["remove"], TEXTS),
    )

    def renew(changes):
        customer.refresh_from_db()
        base = {"renewal_date": "2030-01-01", "version": customer.version}
        return c.post(f"/customers/{no}/renewal/", {**base, **changes})

    walk(
        renew, problems, (["renewal_date", "version"], HOSTILE), (["version"], NUMBERS)
    )
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_customer_urls_survive_hostile_customer_numbers(client, users, role):
    c = client_for(client, users[role])
    problems = Problems()
    for value in HOSTILE:
        if isinstance(value, list) or not value.strip():
            continue
        no = quote(value, safe="")
        for action in ("trash/{}/restore/", "trash/{}/purge/", "{}/share/"):
            path = "/customers/" + action.format(no)
            problems.check(path, value, c.post(path, {"next": value}))
        for action in ("{}/", "{}/edit/", "{}/renewal/", "{}/delete/"):
            path = "/customers/" + action.format(no)
            problems.check(path, value, c.get(path))
    walk(
        lambda params: c.get("/customers/trash/", params), problems, (["page"], HOSTILE)
    )
    assert problems == []


def test_list_shaping_and_bulk_matching_survive_hostile_values(
    client, users, customer, custom_fields
):
    c = client_for(client, users["admin"])
    problems = Problems()
    walk(
        lambda params: c.get("/customers/", params),
        problems,
        (["columns", "view"], HOSTILE),
    )
    walk(
        lambda data: c.post("/lists/customers/columns/", data),
        problems,
        (["columns", "reset", "next"], HOSTILE),
    )
    view = {"view-name": "我的视图", "query": "level=A", "columns": "name,level"}
    walk(
        lambda data: c.post("/lists/customers/views/new/", {**view, **data}),
        problems,
        (["view-name", "view-shared", "query", "columns"], HOSTILE),
    )
    matching = {"action": "add_tag", "all_matching": "on", "query": "level=A"}
    matching["tag"] = Tag.objects.first().pk
    walk(
        lambda data: c.post("/customers/bulk/", {**matching, **data}),
        problems,
        (["query", "all_matching", "tag"], HOSTILE),
        (["query"], [f"q={quote(text)}" for text in TEXTS]),
    )
    for value in HOSTILE:
        if isinstance(value, list) or not value.strip():
            continue
        for path in ("/lists/views/{}/edit/", "/lists/views/{}/delete/"):
            path = path.format(quote(value, safe=""))
            problems.check(path, value, c.get(path))
    assert problems == []


def test_settings_forms_survive_hostile_values(client, users, customer):
    from administration.models import CompanySettings

    c = client_for(client, users["admin"])
    problems = Problems()
    field = {
        "target": "customer",
        "key": "source",
        "label": "来源",
        "field_type": "text",
        "order": "1",
    }
    fields = ["target", "key", "label", "field_type", "choices", "required"]
    fields += ["show_in_list", "filterable", "order"]
    walk(
        lambda data: c.post("/settings/custom-fields/new/", {**field, **data}),
        problems,
        (fields, HOSTILE),
        (["order"], NUMBERS),
    )
    walk(
        lambda data: c.post("/settings/tags/new/", {"colour": "blue", **data}),
        problems,
        (["name", "colour"], HOSTILE),
    )
    walk(
        lambda data: c.post("/settings/tags/merge/", data),
        problems,
        (["sources", "target"], HOSTILE),
    )
    user = {"username": "new1", "full_name": "新同事", "role": "销售专员"}
    user |= {"password1": "Xy7!long-pass", "password2": "Xy7!long-pass"}
    walk(
        lambda data: c.post("/settings/users/new/", {**user, **data}),
        problems,
        (["username", "full_name", "email", "role", "password1", "password2"], HOSTILE),
    )

    def company(data):
        base = {"name": "云帆", "version": CompanySettings.load().version}
        return c.post("/settings/company/", {**base, **data})

    walk(
        company,
        problems,
        (["name", "phone", "email", "website", "address", "version"], HOSTILE),
        (["version"], NUMBERS),
    )
    for value in HOSTILE:
        if isinstance(value, list) or not value.strip():
            continue
        pk = quote(value, safe="")
        for path in (
            "custom-fields/{}/",
            "tags/{}/",
            "users/{}/",
            "users/{}/password/",
        ):
            path = "/settings/" + path.format(pk)
            problems.check(path, value, c.get(path))
    assert problems == []
