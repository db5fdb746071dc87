"""Every named URL × every role, checked against DESIGN §4.

One table (`MATRIX`) says, for each URL, which customer it is about, which
methods to try and the status each role must get; one test function runs it.
A URL added to the project without a row here, or a row whose URL is gone,
fails `test_every_url_has_a_row` / `test_every_row_names_a_url`.

Keys are URL names; `name@variant` adds a second row for the same URL with a
different customer (e.g. one whose success manager is the `success` user).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from customers import services
from customers.models import Customer, CustomerUserObjectPermission, Tag
from tests import conftest
from tests.conftest import client_for

ROLES = ("anon", "admin", "manager", "rep1", "rep2", "service", "success")
PASSWORD = "pw-12345-test"


def statuses(
    *,
    admin: int,
    manager: int,
    rep1: int,
    rep2: int,
    service: int,
    success: int,
    anon: int = 302,
) -> dict[str, int]:
    return {
        "anon": anon,
        "admin": admin,
        "manager": manager,
        "rep1": rep1,
        "rep2": rep2,
        "service": service,
        "success": success,
    }


def everyone(status: int, *, anon: int = 302) -> dict[str, int]:
    return statuses(
        admin=status,
        manager=status,
        rep1=status,
        rep2=status,
        service=status,
        success=status,
        anon=anon,
    )


@dataclass
class Ctx:
    """What a row's data builder and effect check get to look at."""

    client: Client
    users: dict[str, User]
    actor: User | None
    customer: Customer | None
    tag: Tag


@dataclass(frozen=True)
class Row:
    customer: str | None = None  # "rep1", "rep1_managed", "rep1_trashed" or None
    get: dict[str, int] | None = None
    post: dict[str, int] | None = None
    kwargs: Callable[[Ctx], dict] = lambda ctx: (
        {"customer_no": ctx.customer.customer_no} if ctx.customer else {}
    )
    data: Callable[[Ctx], dict] = lambda ctx: {}
    # Called after the POST with (ctx, allowed): allowed says whether the write
    # must have happened, i.e. the role is one of `writers`.
    effect: Callable[[Ctx, bool], None] | None = None
    # Default: the signed-in roles whose expected POST status is 2xx/3xx.
    writers: frozenset[str] | None = None
    xfail: dict[str, str] = field(default_factory=dict)  # role → reason


def customer_form_data(ctx: Ctx, **extra) -> dict:
    fields = {"name": "矩阵测试有限公司", "owner": ctx.users["rep1"].pk, **extra}
    return conftest.customer_form_data(ctx.customer, **fields)


def refreshed(ctx: Ctx) -> Customer | None:
    return Customer.objects.filter(pk=ctx.customer.pk).first()


def created(ctx: Ctx, allowed: bool) -> None:
    assert Customer.objects.filter(name="矩阵测试有限公司").exists() is allowed


def renamed(ctx: Ctx, allowed: bool) -> None:
    assert (refreshed(ctx).name == "矩阵测试有限公司") is allowed


def renewal_set(ctx: Ctx, allowed: bool) -> None:
    assert (str(refreshed(ctx).renewal_date) == "2031-01-31") is allowed


def trashed(ctx: Ctx, allowed: bool) -> None:
    assert (refreshed(ctx).deleted_at is not None) is allowed
    assert Customer.objects.for_user(ctx.users["rep1"]).exists() is not allowed


def shared_with_rep2(ctx: Ctx, allowed: bool) -> None:
    rows = CustomerUserObjectPermission.objects.filter(
        content_object=ctx.customer, user=ctx.users["rep2"]
    )
    assert rows.exists() is allowed


def tagged(ctx: Ctx, allowed: bool) -> None:
    assert refreshed(ctx).tags.filter(pk=ctx.tag.pk).exists() is allowed


def restored(ctx: Ctx, allowed: bool) -> None:
    assert (refreshed(ctx).deleted_at is None) is allowed


def purged(ctx: Ctx, allowed: bool) -> None:
    assert (refreshed(ctx) is None) is allowed


def signed_in(ctx: Ctx, allowed: bool) -> None:
    # Anonymous users are now rep1; signed-in users stay who they were.
    assert ctx.client.get(reverse("crm:workbench")).status_code == 200


def signed_out(ctx: Ctx, allowed: bool) -> None:
    assert ctx.client.get(reverse("crm:workbench")).status_code == 302


def language_set(ctx: Ctx, allowed: bool) -> None:
    cookie = ctx.client.cookies.get("django_language")
    assert (cookie is not None and cookie.value == "en") is allowed


DETAIL_OF_REP1 = statuses(
    admin=200, manager=200, rep1=200, rep2=404, service=200, success=404
)
CHANGE_REP1 = statuses(
    admin=200, manager=200, rep1=200, rep2=404, service=403, success=404
)
CHANGE_REP1_POST = {k: (302 if v == 200 else v) for k, v in CHANGE_REP1.items()}
# Trashed customers are outside every user's `for_user()`; only admins, who
# may delete, reach them through `trash_for_user()`. Anyone else gets the
# same 404 as for a customer that does not exist (even rep1, its owner).
# Restoring and purging need the role's delete permission: 403 before any lookup.
ONLY_ADMIN_TRASH = statuses(
    admin=302, manager=403, rep1=403, rep2=403, service=403, success=403
)

MATRIX: dict[str, Row] = {
    "login": Row(
        # Signed-in users are sent on to the workbench.
        get=everyone(302, anon=200),
        post=everyone(302, anon=302),
        data=lambda ctx: {"username": "rep1", "password": PASSWORD},
        effect=signed_in,
    ),
    "logout": Row(
        get=everyone(405),
        post=everyone(302),
        effect=signed_out,
    ),
    "set_language": Row(
        post=everyone(302),
        data=lambda ctx: {"language": "en", "next": "/customers/"},
        effect=language_set,
    ),
    "crm:workbench": Row(get=everyone(200)),
    "customers:customer_list": Row(get=everyone(200)),
    "customers:customer_create": Row(
        get=statuses(
            admin=200, manager=200, rep1=200, rep2=200, service=403, success=403
        ),
        post=statuses(
            admin=302, manager=302, rep1=302, rep2=302, service=403, success=403
        ),
        data=lambda ctx: customer_form_data(
            ctx, owner=(ctx.actor or ctx.users["rep1"]).pk
        ),
        effect=created,
    ),
    "customers:customer_bulk": Row(
        customer="rep1",
        kwargs=lambda ctx: {},
        get=everyone(405),
        # Always back to the list; customers the user may not change are not
        # valid choices, so nothing happens to them.
        post=everyone(302),
        data=lambda ctx: {
            "action": "add_tag",
            "tag": ctx.tag.pk,
            "selected": [ctx.customer.customer_no],
        },
        writers=frozenset({"admin", "manager", "rep1"}),
        effect=tagged,
    ),
    "customers:customer_export": Row(
        get=statuses(
            admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
        ),
    ),
    "customers:customer_trash": Row(
        get=statuses(
            admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
        ),
    ),
    "customers:customer_restore": Row(
        customer="rep1_trashed",
        get=statuses(
            admin=405, manager=403, rep1=403, rep2=403, service=403, success=403
        ),
        post=ONLY_ADMIN_TRASH,
        effect=restored,
    ),
    "customers:customer_purge": Row(
        customer="rep1_trashed",
        get=statuses(
            admin=405, manager=403, rep1=403, rep2=403, service=403, success=403
        ),
        post=ONLY_ADMIN_TRASH,
        effect=purged,
    ),
    "customers:customer_detail": Row(customer="rep1", get=DETAIL_OF_REP1),
    "customers:customer_detail@success_manager": Row(
        customer="rep1_managed",
        get=statuses(
            admin=200, manager=200, rep1=200, rep2=404, service=200, success=200
        ),
    ),
    "customers:customer_update": Row(
        customer="rep1",
        get=CHANGE_REP1,
        post=CHANGE_REP1_POST,
        data=lambda ctx: customer_form_data(ctx),
        effect=renamed,
    ),
    "customers:customer_renewal": Row(
        # The dedicated page is for renew-only roles; owners change the
        # renewal date in the full edit form, so rep1 gets 403 here.
        customer="rep1_managed",
        get=statuses(
            admin=200, manager=200, rep1=403, rep2=404, service=403, success=200
        ),
        post=statuses(
            admin=302, manager=302, rep1=403, rep2=404, service=403, success=302
        ),
        data=lambda ctx: {
            "renewal_date": "2031-01-31",
            "version": ctx.customer.version,
        },
        effect=renewal_set,
    ),
    "customers:customer_renewal@unmanaged": Row(
        customer="rep1",
        get=statuses(
            admin=200, manager=200, rep1=403, rep2=404, service=403, success=404
        ),
    ),
    "customers:customer_delete": Row(
        customer="rep1",
        get=statuses(
            admin=200, manager=403, rep1=403, rep2=404, service=403, success=404
        ),
        post=statuses(
            admin=302, manager=403, rep1=403, rep2=404, service=403, success=404
        ),
        effect=trashed,
    ),
    "customers:customer_share": Row(
        customer="rep1",
        get=CHANGE_REP1,
        # rep2 tries to grant itself access; the others share with rep2.
        post=CHANGE_REP1_POST,
        data=lambda ctx: {"user": ctx.users["rep2"].pk, "level": "view"},
        effect=shared_with_rep2,
    ),
}


def url_names() -> set[str]:
    """Every named URL of the project, namespaced, except the Django admin's."""

    def walk(patterns, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = (
                    [*namespaces, pattern.namespace]
                    if pattern.namespace
                    else namespaces
                )
                yield from walk(pattern.url_patterns, inner)
            elif pattern.name:
                yield ":".join([*namespaces, pattern.name])

    return set(walk(get_resolver().url_patterns, []))


def row_url_names() -> set[str]:
    return {key.split("@")[0] for key in MATRIX}


def test_every_url_has_a_row():
    missing = url_names() - row_url_names()
    assert not missing, f"URLs without a row in the permission matrix: {missing}"


def test_every_row_names_a_url():
    stale = row_url_names() - url_names()
    assert not stale, f"permission matrix rows for URLs that are gone: {stale}"


def test_every_row_covers_every_role():
    for key, row in MATRIX.items():
        assert row.get or row.post, key
        for expected in filter(None, (row.get, row.post)):
            assert set(expected) == set(ROLES), key


def matrix_params():
    for key, row in MATRIX.items():
        for method, expected in (("GET", row.get), ("POST", row.post)):
            if expected is None:
                continue
            for role in ROLES:
                marks = []
                if role in row.xfail:
                    marks.append(pytest.mark.xfail(strict=True, reason=row.xfail[role]))
                yield pytest.param(
                    key,
                    method,
                    role,
                    expected[role],
                    id=f"{key}-{method}-{role}",
                    marks=marks,
                )


def build_customer(kind: str | None, users, make_customer) -> Customer | None:
    if kind is None:
        return None
    contacts = [
        services.ContactData(
            name="张伟", title="采购总监", phone="13812345678", email="zw@a.com"
        )
    ]
    extra = {"success_manager": users["success"]} if kind == "rep1_managed" else {}
    customer = make_customer(users["rep1"], contacts=contacts, **extra)
    if kind == "rep1_trashed":
        services.customer_delete(actor=users["admin"], customer=customer)
    return customer


@pytest.mark.parametrize("key, method, role, expected", list(matrix_params()))
def test_permission_matrix(client, users, make_customer, key, method, role, expected):
    # Given a user in `role` (or nobody) and the row's customer
    row = MATRIX[key]
    name = key.split("@")[0]
    customer = build_customer(row.customer, users, make_customer)
    actor = users.get(role)
    if actor is not None:
        client_for(client, actor)
    tag = Tag.objects.create(name="矩阵标签")
    ctx = Ctx(client=client, users=users, actor=actor, customer=customer, tag=tag)
    url = reverse(name, kwargs=row.kwargs(ctx))

    # When it requests the URL
    send = client.get if method == "GET" else client.post
    response = send(url, row.data(ctx) if method == "POST" else None)

    # Then it gets the status DESIGN §4 gives its role
    assert response.status_code == expected, (
        f"{method} {url} as {role}: {response.status_code}, expected {expected}"
    )
    if role == "anon" and expected == 302 and name not in ("login",):
        assert response["Location"].startswith(reverse("login"))
    if method == "POST" and row.effect is not None:
        writers = row.writers
        if writers is None:
            # Anonymous requests are turned away by the login redirect.
            writers = {r for r, status in row.post.items() if 200 <= status < 400} - {
                "anon"
            }
        row.effect(ctx, role in writers)


@pytest.mark.parametrize("role", ["manager", "rep1", "rep2", "service", "success"])
def test_admin_site_sends_non_staff_to_its_login(client, users, role):
    client_for(client, users[role])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_site_opens_for_admin(client, users):
    client_for(client, users["admin"])
    assert client.get("/admin/").status_code == 200


def test_admin_site_sends_anonymous_to_a_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
