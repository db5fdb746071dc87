"""Every named URL × every role, checked against DESIGN §4.

One table (`MATRIX`) says, for each URL, which record it is about (a builder
such as `rep1_customer`), which models it covers, which methods to try and
the status each role must get; one test function runs it. A URL added to the
project without a row here, or a row whose URL is gone, fails
`test_every_url_has_a_row` / `test_every_row_names_a_url`; a model with
`objects.for_user()` that no row covers fails
`test_every_restricted_model_has_a_row`.

A new module adds its builders (a function of the role users returning the
record, or None) and its rows; nothing else here changes.

Keys are URL names; `name@variant` adds a second row for the same URL with a
different record (e.g. one whose success manager is the `success` user).
"""

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Model
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse

from crm.registry import registry
from customers import services
from customers.models import Contact, Customer, CustomerUserObjectPermission, Tag
from tests import factories
from tests.factories import PASSWORD, client_for

ROLES = ("anon", "admin", "manager", "rep1", "rep2", "service", "success")


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
    obj: Model | None
    tag: Tag

    @property
    def customer(self) -> Customer | None:
        return self.obj if isinstance(self.obj, Customer) else None


Users = dict[str, User]
Builder = Callable[[Users], Model | None]


def no_object(users: Users) -> None:
    return None


def rep1_customer(users: Users) -> Customer:
    """A customer rep1 owns, with one contact."""
    return factories.make_customer(users["rep1"], contacts=[factories.contact()])


def rep1_managed_customer(users: Users) -> Customer:
    """rep1's customer whose success manager is the `success` user."""
    return factories.make_customer(
        users["rep1"], contacts=[factories.contact()], success_manager=users["success"]
    )


def rep1_trashed_customer(users: Users) -> Customer:
    """rep1's customer, moved to the trash by the admin."""
    customer = rep1_customer(users)
    services.customer_delete(actor=users["admin"], customer=customer)
    return customer


def object_kwargs(ctx: Ctx) -> dict:
    """The URL kwargs of the record's own page: most record URLs take the same."""
    if ctx.obj is None:
        return {}
    return resolve(ctx.obj.get_absolute_url()).kwargs


# The customer pages show and edit its contacts: those rows cover both models.
CUSTOMER_PAGES = (Customer, Contact)


@dataclass(frozen=True)
class Row:
    build: Builder = no_object
    # The models whose visibility the row checks: the built record's model and
    # what is reached through it. Every model with `for_user()` must be in a row.
    covers: tuple[type[Model], ...] = ()
    get: dict[str, int] | None = None
    post: dict[str, int] | None = None
    kwargs: Callable[[Ctx], dict] = object_kwargs
    data: Callable[[Ctx], dict] = lambda ctx: {}
    # Called after the POST with (ctx, allowed): allowed says whether the write
    # must have happened, i.e. the role is one of `writers`.
    effect: Callable[[Ctx, bool], None] | None = None
    # Default: the signed-in roles whose expected POST status is 2xx/3xx.
    writers: frozenset[str] | None = None
    xfail: dict[str, str] = field(default_factory=dict)  # role → reason


def customer_form_data(ctx: Ctx, **extra) -> dict:
    fields = {"name": "矩阵测试有限公司", "owner": ctx.users["rep1"].pk, **extra}
    return factories.customer_form_data(ctx.customer, **fields)


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
        build=rep1_customer,
        covers=CUSTOMER_PAGES,
        kwargs=lambda ctx: {},
        get=everyone(405),
        # Back to the list for roles with a bulk action; customers the user may
        # not change are not valid choices, so nothing happens to them. Roles
        # with no bulk action (view only, renewals only) are refused outright.
        post=statuses(
            admin=302, manager=302, rep1=302, rep2=302, service=403, success=403
        ),
        data=lambda ctx: {
            "action": "add_tag",
            "tag": ctx.tag.pk,
            "selected": [ctx.customer.customer_no],
        },
        writers=frozenset({"admin", "manager", "rep1"}),
        effect=tagged,
    ),
    # "Select all matching": the list's filters, re-run over what each user
    # may change (the customer's own number as the search).
    "customers:customer_bulk@matching": Row(
        build=rep1_customer,
        covers=CUSTOMER_PAGES,
        kwargs=lambda ctx: {},
        get=everyone(405),
        post=statuses(
            admin=302, manager=302, rep1=302, rep2=302, service=403, success=403
        ),
        data=lambda ctx: {
            "action": "add_tag",
            "tag": ctx.tag.pk,
            "all_matching": "on",
            "query": f"q={ctx.customer.customer_no}",
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
        build=rep1_trashed_customer,
        covers=(Customer,),
        get=statuses(
            admin=405, manager=403, rep1=403, rep2=403, service=403, success=403
        ),
        post=ONLY_ADMIN_TRASH,
        effect=restored,
    ),
    "customers:customer_purge": Row(
        build=rep1_trashed_customer,
        covers=(Customer,),
        get=statuses(
            admin=405, manager=403, rep1=403, rep2=403, service=403, success=403
        ),
        post=ONLY_ADMIN_TRASH,
        effect=purged,
    ),
    "customers:customer_detail": Row(
        build=rep1_customer, covers=CUSTOMER_PAGES, get=DETAIL_OF_REP1
    ),
    "customers:customer_detail@success_manager": Row(
        build=rep1_managed_customer,
        covers=CUSTOMER_PAGES,
        get=statuses(
            admin=200, manager=200, rep1=200, rep2=404, service=200, success=200
        ),
    ),
    "customers:customer_update": Row(
        build=rep1_customer,
        covers=CUSTOMER_PAGES,
        get=CHANGE_REP1,
        post=CHANGE_REP1_POST,
        data=lambda ctx: customer_form_data(ctx),
        effect=renamed,
    ),
    "customers:customer_renewal": Row(
        # The dedicated page is for renew-only roles; owners change the
        # renewal date in the full edit form, so rep1 gets 403 here.
        build=rep1_managed_customer,
        covers=CUSTOMER_PAGES,
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
        build=rep1_customer,
        covers=CUSTOMER_PAGES,
        get=statuses(
            admin=200, manager=200, rep1=403, rep2=404, service=403, success=404
        ),
    ),
    "customers:customer_delete": Row(
        build=rep1_customer,
        covers=CUSTOMER_PAGES,
        get=statuses(
            admin=200, manager=403, rep1=403, rep2=404, service=403, success=404
        ),
        post=statuses(
            admin=302, manager=403, rep1=403, rep2=404, service=403, success=404
        ),
        effect=trashed,
    ),
    "customers:customer_share": Row(
        build=rep1_customer,
        covers=CUSTOMER_PAGES,
        get=CHANGE_REP1,
        # rep2 tries to grant itself access; the others share with rep2.
        post=CHANGE_REP1_POST,
        data=lambda ctx: {"user": ctx.users["rep2"].pk, "level": "view"},
        effect=shared_with_rep2,
    ),
    # Duplicates and merging: the roles holding customers.merge_customer
    # (admins, sales managers); everyone else 403 before any lookup.
    "customers:customer_duplicates": Row(
        get=statuses(
            admin=200, manager=200, rep1=403, rep2=403, service=403, success=403
        ),
    ),
    "customers:customer_merge": Row(
        # rep1's customer is kept; the data builds a second one of rep1's to
        # merge into it. A bare GET goes to the duplicates page.
        build=rep1_customer,
        covers=CUSTOMER_PAGES,
        kwargs=lambda ctx: {},
        get=statuses(
            admin=302, manager=302, rep1=403, rep2=403, service=403, success=403
        ),
        post=statuses(
            admin=302, manager=302, rep1=403, rep2=403, service=403, success=403
        ),
        data=lambda ctx: merge_form_data(ctx),
        effect=lambda ctx, allowed: merged(ctx, allowed),
    ),
    # The ID of a customer merged into rep1's leads to rep1's customer, for
    # those who may view it; others get the 404 of a missing customer.
    "customers:customer_detail@merged": Row(
        build=lambda users: merged_customer(users),
        covers=CUSTOMER_PAGES,
        kwargs=lambda ctx: {
            "customer_no": ctx.obj.aliases.values_list("customer_no", flat=True)[0]
        },
        get=statuses(
            admin=302, manager=302, rep1=302, rep2=404, service=302, success=404
        ),
    ),
}


def merge_form_data(ctx: Ctx) -> dict:
    drop = factories.make_customer(ctx.users["rep1"], name="矩阵合并客户")
    return {
        "keep": ctx.customer.customer_no,
        "drop": drop.customer_no,
        "keep_version": ctx.customer.version,
        "drop_version": drop.version,
        "field_name": "keep",
    }


def merged(ctx: Ctx, allowed: bool) -> None:
    gone = not Customer.objects.filter(name="矩阵合并客户").exists()
    assert gone is allowed


def merged_customer(users: Users) -> Customer:
    """rep1's customer with another of rep1's merged into it (by the admin)."""
    from customers import merging

    keep = rep1_customer(users)
    drop = factories.make_customer(users["rep1"], name="已合并的客户")
    return merging.merge_customers(
        actor=users["admin"],
        keep=keep,
        drop=drop,
        keep_version=keep.version,
        drop_version=drop.version,
    )


# Settings (/settings/): administrators only; every other role gets 403.
def settings_rows() -> dict[str, Row]:
    from administration.models import CompanySettings
    from crm.models import CustomField

    only_admin = statuses(
        admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
    )
    only_admin_post = {k: (302 if v == 200 else v) for k, v in only_admin.items()}
    pk = lambda ctx: {"pk": ctx.obj.pk}  # noqa: E731

    def custom_field(users: Users) -> CustomField:
        return CustomField.objects.create(
            target="customer", key="matrix", label="矩阵字段", field_type="text"
        )

    def spare_tag(users: Users) -> Tag:
        return Tag.objects.create(name="矩阵待合并")

    def company(users: Users) -> CompanySettings:
        return CompanySettings.load()

    def rep2_account(users: Users) -> User:
        return users["rep2"]

    def field_labelled(label):
        return lambda ctx, allowed: (
            CustomField.objects.filter(label=label).exists() is allowed
        )

    def obj_gone(ctx: Ctx, allowed: bool) -> None:
        assert (not type(ctx.obj).objects.filter(pk=ctx.obj.pk).exists()) is allowed

    def rep2(ctx: Ctx) -> User:
        return User.objects.get(pk=ctx.users["rep2"].pk)

    field_data = {"target": "customer", "field_type": "text", "order": 5}
    password = "Matrix-pass-2468"
    return {
        "administration:index": Row(get=only_admin),
        "administration:customfield_list": Row(get=only_admin),
        "administration:customfield_create": Row(
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {**field_data, "key": "matrix_new", "label": "矩阵新字段"},
            effect=field_labelled("矩阵新字段"),
        ),
        "administration:customfield_update": Row(
            build=custom_field,
            covers=(CustomField,),
            kwargs=pk,
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {**field_data, "label": "矩阵改名"},
            effect=field_labelled("矩阵改名"),
        ),
        "administration:customfield_delete": Row(
            build=custom_field,
            covers=(CustomField,),
            kwargs=pk,
            get=only_admin,
            post=only_admin_post,
            effect=obj_gone,
        ),
        "administration:user_list": Row(get=only_admin),
        "administration:user_create": Row(
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {
                "username": "matrix",
                "full_name": "矩阵",
                "role": "销售专员",
                "password1": password,
                "password2": password,
            },
            effect=lambda ctx, allowed: (
                User.objects.filter(username="matrix").exists() is allowed
            ),
        ),
        "administration:user_update": Row(
            build=rep2_account,
            covers=(User,),
            kwargs=pk,
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {
                "full_name": "矩阵改名",
                "role": "销售专员",
                "is_active": "on",
            },
            effect=lambda ctx, allowed: (rep2(ctx).first_name == "矩阵改名") is allowed,
        ),
        "administration:user_password": Row(
            build=rep2_account,
            covers=(User,),
            kwargs=pk,
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {"new_password1": password, "new_password2": password},
            effect=lambda ctx, allowed: rep2(ctx).check_password(password) is allowed,
        ),
        "administration:user_deactivate": Row(
            build=rep2_account,
            covers=(User,),
            kwargs=pk,
            get=only_admin,
            post=only_admin_post,
            effect=lambda ctx, allowed: rep2(ctx).is_active is not allowed,
        ),
        "administration:company_update": Row(
            build=company,
            covers=(CompanySettings,),
            kwargs=lambda ctx: {},
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {"name": "矩阵公司", "version": ctx.obj.version},
            effect=lambda ctx, allowed: (
                (CompanySettings.load().name == "矩阵公司") is allowed
            ),
        ),
        "customer_settings:tag_list": Row(get=only_admin),
        "customer_settings:tag_create": Row(
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {"name": "矩阵新标签", "colour": "red"},
            effect=lambda ctx, allowed: (
                Tag.objects.filter(name="矩阵新标签").exists() is allowed
            ),
        ),
        "customer_settings:tag_update": Row(
            build=spare_tag,
            covers=(Tag,),
            kwargs=pk,
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {"name": "矩阵改名标签", "colour": "green"},
            effect=lambda ctx, allowed: (
                Tag.objects.filter(name="矩阵改名标签").exists() is allowed
            ),
        ),
        "customer_settings:tag_merge": Row(
            build=spare_tag,
            covers=(Tag,),
            kwargs=lambda ctx: {},
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {"sources": [ctx.obj.pk], "target": ctx.tag.pk},
            effect=obj_gone,
        ),
        "customer_settings:tag_delete": Row(
            build=spare_tag,
            covers=(Tag,),
            kwargs=pk,
            get=only_admin,
            post=only_admin_post,
            effect=obj_gone,
        ),
    }


MATRIX.update(settings_rows())


# Shaped lists (crm/list_views.py): the column chooser and saved views. A
# shared view is seen by everyone who may open its list, changed only by its
# owner or an administrator; a personal one is its owner's alone (404).
def list_rows() -> dict[str, Row]:
    from crm.models import ListPreference, SavedView

    pk = lambda ctx: {"pk": ctx.obj.pk}  # noqa: E731
    key = lambda ctx: {"list_key": "customers"}  # noqa: E731
    owner_or_admin = statuses(
        admin=200, manager=403, rep1=200, rep2=403, service=403, success=403
    )
    owner_or_admin_post = {
        k: (302 if v == 200 else v) for k, v in owner_or_admin.items()
    }
    only_owner = statuses(
        admin=404, manager=404, rep1=200, rep2=404, service=404, success=404
    )
    only_owner_post = {k: (302 if v == 200 else v) for k, v in only_owner.items()}

    def rep1_view(shared: bool) -> Builder:
        def build(users: Users) -> SavedView:
            return SavedView.objects.create(
                owner=users["rep1"],
                list_key="customers",
                name="A级客户",
                query="level=A",
                shared=shared,
            )

        return build

    def columns_saved(ctx: Ctx, allowed: bool) -> None:
        stored = ListPreference.objects.filter(user_id=getattr(ctx.actor, "pk", None))
        expected = [["name", "level"]] if allowed else []
        assert list(stored.values_list("columns", flat=True)) == expected

    def view_created(ctx: Ctx, allowed: bool) -> None:
        actor_id = getattr(ctx.actor, "pk", None)
        made = SavedView.objects.filter(name="矩阵视图", owner_id=actor_id)
        assert made.exists() is allowed

    def view_renamed(ctx: Ctx, allowed: bool) -> None:
        view = SavedView.objects.get(pk=ctx.obj.pk)
        assert (view.name == "改名视图") is allowed

    def view_deleted(ctx: Ctx, allowed: bool) -> None:
        assert SavedView.objects.filter(pk=ctx.obj.pk).exists() is not allowed

    rename = lambda ctx: {"view-name": "改名视图", "view-shared": "on"}  # noqa: E731
    return {
        "crm:list_columns": Row(
            kwargs=key,
            get=everyone(405),
            post=everyone(302),
            data=lambda ctx: {"columns": ["level", "name", "bogus"]},
            effect=columns_saved,
        ),
        "crm:savedview_create": Row(
            kwargs=key,
            get=everyone(200),
            post=everyone(302),
            data=lambda ctx: {
                "view-name": "矩阵视图",
                "query": "level=A",
                "columns": "name,level",
            },
            effect=view_created,
        ),
        "crm:savedview_update": Row(
            build=rep1_view(shared=True),
            covers=(SavedView,),
            kwargs=pk,
            get=owner_or_admin,
            post=owner_or_admin_post,
            data=rename,
            effect=view_renamed,
        ),
        "crm:savedview_update@personal": Row(
            build=rep1_view(shared=False),
            covers=(SavedView,),
            kwargs=pk,
            get=only_owner,
            post=only_owner_post,
            data=rename,
            effect=view_renamed,
        ),
        "crm:savedview_delete": Row(
            build=rep1_view(shared=True),
            covers=(SavedView,),
            kwargs=pk,
            get=owner_or_admin,
            post=owner_or_admin_post,
            effect=view_deleted,
        ),
        "crm:savedview_delete@personal": Row(
            build=rep1_view(shared=False),
            covers=(SavedView,),
            kwargs=pk,
            get=only_owner,
            post=only_owner_post,
            effect=view_deleted,
        ),
    }


MATRIX.update(list_rows())


# Notifications: everyone has the list, the badges and "all read" (of their
# own); one notification is its recipient's alone: everyone else gets a 404.
def notification_rows() -> dict[str, Row]:
    from notifications.models import Notification
    from notifications.services import notify

    def rep1_notification(users: Users) -> Notification:
        notify(
            recipients=[users["rep1"]],
            kind="customer_shared",
            actor=users["rep2"],
            url="/customers/",
            params={"customer": "矩阵客户"},
        )
        return Notification.objects.get(recipient=users["rep1"])

    def read(ctx: Ctx) -> bool:
        return Notification.objects.get(pk=ctx.obj.pk).read_at is not None

    def marked_read(ctx: Ctx, allowed: bool) -> None:
        assert read(ctx) is allowed

    def read_if_rep1(ctx: Ctx, allowed: bool) -> None:
        # Everyone may mark all of their own read; rep1's only by rep1.
        assert read(ctx) is (ctx.actor == ctx.users["rep1"])

    pk = lambda ctx: {"pk": ctx.obj.pk}  # noqa: E731
    only_rep1 = statuses(
        admin=404, manager=404, rep1=302, rep2=404, service=404, success=404
    )
    return {
        "notifications:notification_list": Row(get=everyone(200)),
        "crm:nav_badges": Row(get=everyone(200)),
        "notifications:open": Row(
            build=rep1_notification,
            covers=(Notification,),
            kwargs=pk,
            get=everyone(405),
            post=only_rep1,
            effect=marked_read,
        ),
        "notifications:read": Row(
            build=rep1_notification,
            covers=(Notification,),
            kwargs=pk,
            get=everyone(405),
            post=only_rep1,
            effect=marked_read,
        ),
        "notifications:read_all": Row(
            build=rep1_notification,
            covers=(Notification,),
            kwargs=lambda ctx: {},
            get=everyone(405),
            post=everyone(302),
            effect=read_if_rep1,
        ),
    }


MATRIX.update(notification_rows())


# Service tickets (DESIGN §4): service and admins work every ticket; managers
# read them all; reps read their customers'; customer success reads and
# comments on their customers'; an assignee pulled in works their ticket.
def ticket_rows() -> dict[str, Row]:
    from followups.models import Ticket

    def rep1_ticket(users: Users) -> Ticket:
        return factories.make_ticket(users["service"], rep1_customer(users))

    def rep1_managed_ticket(users: Users) -> Ticket:
        return factories.make_ticket(users["service"], rep1_managed_customer(users))

    def rep2_assigned_ticket(users: Users) -> Ticket:
        customer = rep1_customer(users)
        return factories.make_ticket(users["service"], customer, assignee=users["rep2"])

    def stored(ctx: Ctx) -> Ticket:
        return Ticket.objects.get(pk=ctx.obj.pk)

    def edit_data(ctx: Ctx) -> dict:
        return {
            "subject": "矩阵工单改名",
            "kind": "question",
            "priority": "low",
            "contact": "",
            "description": "矩阵",
            "version": ctx.obj.version,
        }

    work = statuses(
        admin=302, manager=403, rep1=403, rep2=404, service=302, success=404
    )
    work_get = statuses(
        admin=200, manager=403, rep1=403, rep2=404, service=200, success=404
    )
    assignee_works = {**work, "rep2": 302}
    only_workers = statuses(
        admin=200, manager=403, rep1=403, rep2=403, service=200, success=403
    )
    row = lambda build, **kw: Row(build=build, covers=(Ticket,), **kw)  # noqa: E731
    renamed_ticket = lambda ctx, allowed: (  # noqa: E731
        (stored(ctx).subject == "矩阵工单改名") is allowed
    )
    started = lambda ctx, allowed: (  # noqa: E731
        (stored(ctx).status == "in_progress") is allowed
    )
    commented = lambda ctx, allowed: (  # noqa: E731
        stored(ctx).comments.filter(body="矩阵评论").exists() is allowed
    )
    start = lambda ctx: {"action": "start", "version": ctx.obj.version}  # noqa: E731
    comment = lambda ctx: {"body": "矩阵评论"}  # noqa: E731
    return {
        "tickets:ticket_list": Row(get=everyone(200)),
        # Exports are the administrators' (imports/exporting.py).
        "tickets:ticket_export": Row(
            get=statuses(
                admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
            )
        ),
        "tickets:ticket_create": Row(
            build=rep1_customer,
            covers=CUSTOMER_PAGES,
            kwargs=lambda ctx: {},
            get=only_workers,
            post={k: (302 if v == 200 else v) for k, v in only_workers.items()},
            data=lambda ctx: {
                "customer": ctx.customer.customer_no,
                "subject": "矩阵新工单",
                "kind": "complaint",
                "priority": "high",
                "description": "矩阵",
            },
            effect=lambda ctx, allowed: (
                Ticket.objects.filter(subject="矩阵新工单").exists() is allowed
            ),
        ),
        "tickets:ticket_detail": row(rep1_ticket, get=DETAIL_OF_REP1),
        "tickets:ticket_detail@success_manager": row(
            rep1_managed_ticket,
            get=statuses(
                admin=200, manager=200, rep1=200, rep2=404, service=200, success=200
            ),
        ),
        "tickets:ticket_detail@assignee": row(
            rep2_assigned_ticket,
            get=statuses(
                admin=200, manager=200, rep1=200, rep2=200, service=200, success=404
            ),
        ),
        "tickets:ticket_update": row(
            rep1_ticket,
            get=work_get,
            post=work,
            data=edit_data,
            effect=renamed_ticket,
        ),
        "tickets:ticket_update@assignee": row(
            rep2_assigned_ticket,
            get={**work_get, "rep2": 200},
            post=assignee_works,
            data=edit_data,
            effect=renamed_ticket,
        ),
        "tickets:ticket_transition": row(
            rep1_ticket, get=everyone(405), post=work, data=start, effect=started
        ),
        "tickets:ticket_transition@success_manager": row(
            rep1_managed_ticket,
            get=everyone(405),
            post={**work, "success": 403},
            data=start,
            effect=started,
        ),
        "tickets:ticket_transition@assignee": row(
            rep2_assigned_ticket,
            get=everyone(405),
            post=assignee_works,
            data=start,
            effect=started,
        ),
        "tickets:ticket_assign": row(
            rep1_ticket,
            get=everyone(405),
            post=work,
            data=lambda ctx: {
                "assignee": ctx.users["success"].pk,
                "version": ctx.obj.version,
            },
            effect=lambda ctx, allowed: (
                (stored(ctx).assignee == ctx.users["success"]) is allowed
            ),
        ),
        "tickets:ticket_comment": row(
            rep1_ticket, get=everyone(405), post=work, data=comment, effect=commented
        ),
        "tickets:ticket_comment@success_manager": row(
            rep1_managed_ticket,
            get=everyone(405),
            post={**work, "success": 302},
            data=comment,
            effect=commented,
        ),
        "tickets:ticket_comment@assignee": row(
            rep2_assigned_ticket,
            get=everyone(405),
            post=assignee_works,
            data=comment,
            effect=commented,
        ),
    }


MATRIX.update(ticket_rows())


# Follow-ups (DESIGN §4): seen by whoever may view the customer (admins,
# managers and customer service: all); logged by sales roles and customer
# success on customers they see; edited by their writer or managers/admins;
# deleted by managers/admins. The agenda and the calendar token are the
# user's own; the feed answers its token, whoever asks.
def followup_rows() -> dict[str, Row]:
    import datetime

    from django.utils import timezone

    from followups import calendar as followup_calendar
    from followups import services as followup_services
    from followups.models import CalendarToken, FollowUp

    def rep1_followup(users: Users) -> FollowUp:
        """rep1's follow-up on rep1's customer, with an open plan for rep1."""
        return factories.make_followup(
            users["rep1"],
            rep1_customer(users),
            next_at=timezone.now() + datetime.timedelta(hours=2),
            next_owner=users["rep1"],
        )

    def rep1_managed_followup(users: Users) -> FollowUp:
        return factories.make_followup(users["rep1"], rep1_managed_customer(users))

    def rep1_trashed_followup(users: Users) -> FollowUp:
        followup = factories.make_followup(users["rep1"], rep1_customer(users))
        followup_services.followup_delete(actor=users["admin"], followup=followup)
        return followup

    def rep1_token(users: Users) -> CalendarToken:
        return followup_calendar.calendar_token_regenerate(user=users["rep1"])

    def revoked_token(users: Users) -> CalendarToken:
        token = rep1_token(users)
        followup_calendar.calendar_token_revoke(user=users["rep1"])
        return token

    def stored(ctx: Ctx) -> FollowUp | None:
        return FollowUp.objects.filter(pk=ctx.obj.pk).first()

    def log_data(ctx: Ctx) -> dict:
        return {
            "customer": rep1_customer_no(ctx),
            "method": "phone",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "content": "矩阵跟进",
        }

    def rep1_customer_no(ctx: Ctx) -> str:
        return Customer.objects.filter(owner=ctx.users["rep1"]).get().customer_no

    def edit_data(ctx: Ctx) -> dict:
        return {
            "method": "email",
            "occurred_at": timezone.localtime(ctx.obj.occurred_at).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "content": "矩阵改过",
            "version": ctx.obj.version,
        }

    def logged(ctx: Ctx, allowed: bool) -> None:
        assert FollowUp.objects.filter(content="矩阵跟进").exists() is allowed

    def edited(ctx: Ctx, allowed: bool) -> None:
        assert (stored(ctx).content == "矩阵改过") is allowed

    def followup_trashed(ctx: Ctx, allowed: bool) -> None:
        assert (stored(ctx).deleted_at is not None) is allowed

    def followup_restored(ctx: Ctx, allowed: bool) -> None:
        assert (stored(ctx).deleted_at is None) is allowed

    def plan_done(ctx: Ctx, allowed: bool) -> None:
        assert stored(ctx).next_done is allowed

    def token_made(ctx: Ctx, allowed: bool) -> None:
        actor_id = getattr(ctx.actor, "pk", None)
        assert CalendarToken.objects.filter(user_id=actor_id).exists() is allowed

    def with_customer(users: Users) -> Customer:
        return rep1_customer(users)

    token = lambda ctx: {"token": ctx.obj.token}  # noqa: E731
    sales = dict(admin=302, manager=302, rep1=302, rep2=302, success=302)
    change_rep1 = statuses(
        admin=200, manager=200, rep1=200, rep2=404, service=403, success=404
    )
    change_rep1_post = {k: (302 if v == 200 else v) for k, v in change_rep1.items()}
    delete = statuses(
        admin=200, manager=200, rep1=403, rep2=404, service=403, success=404
    )
    trash_only = statuses(
        admin=200, manager=200, rep1=403, rep2=403, service=403, success=403
    )
    return {
        "followups:followup_list": Row(get=everyone(200)),
        "followups:followup_export": Row(
            get=statuses(
                admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
            )
        ),
        "followups:agenda": Row(get=everyone(200)),
        # Without ?customer= the form sends loggers to the customer list; a
        # posted customer is one of those the user may see, or a form error.
        "followups:followup_create": Row(
            build=with_customer,
            covers=CUSTOMER_PAGES,
            kwargs=lambda ctx: {},
            get=statuses(**sales, service=403),
            post=statuses(
                admin=302, manager=302, rep1=302, rep2=200, service=403, success=200
            ),
            data=log_data,
            writers=frozenset({"admin", "manager", "rep1"}),
            effect=logged,
        ),
        "followups:followup_detail": Row(
            build=rep1_followup, covers=(FollowUp,), get=DETAIL_OF_REP1
        ),
        "followups:followup_detail@success_manager": Row(
            build=rep1_managed_followup,
            covers=(FollowUp,),
            get=statuses(
                admin=200, manager=200, rep1=200, rep2=404, service=200, success=200
            ),
        ),
        "followups:followup_update": Row(
            build=rep1_followup,
            covers=(FollowUp,),
            get=change_rep1,
            post=change_rep1_post,
            data=edit_data,
            effect=edited,
        ),
        "followups:followup_update@success_manager": Row(
            build=rep1_managed_followup,
            covers=(FollowUp,),
            get={**change_rep1, "success": 403},
            post={**change_rep1_post, "success": 403},
            data=edit_data,
            effect=edited,
        ),
        "followups:followup_delete": Row(
            build=rep1_followup,
            covers=(FollowUp,),
            get=delete,
            post={k: (302 if v == 200 else v) for k, v in delete.items()},
            effect=followup_trashed,
        ),
        "followups:followup_complete": Row(
            build=rep1_followup,
            covers=(FollowUp,),
            get=everyone(405),
            post=statuses(
                admin=302, manager=302, rep1=302, rep2=404, service=403, success=404
            ),
            effect=plan_done,
        ),
        "followups:followup_trash": Row(get=trash_only),
        "followups:followup_restore": Row(
            build=rep1_trashed_followup,
            covers=(FollowUp,),
            get={**trash_only, "admin": 405, "manager": 405},
            post={k: (302 if v == 200 else v) for k, v in trash_only.items()},
            effect=followup_restored,
        ),
        "followups:calendar_token": Row(
            get=everyone(405),
            post=everyone(302),
            data=lambda ctx: {"action": "regenerate"},
            effect=token_made,
        ),
        "followups:calendar_feed": Row(
            build=rep1_token,
            covers=(CalendarToken,),
            kwargs=token,
            get=everyone(200, anon=200),
        ),
        "followups:calendar_feed@revoked": Row(
            build=revoked_token,
            covers=(CalendarToken,),
            kwargs=token,
            get=everyone(404, anon=404),
        ),
    }


MATRIX.update(followup_rows())


# Opportunities (DESIGN §4): admins and managers work every deal; a rep the
# deals they own and those of customers they may change (rep1's deal on
# rep1's customer is hidden from rep2); customer success reads the deals of
# the customers they manage; customer service has no opportunity column at
# all (a 403 on the list and the board, a 404 on any one deal). The trash is
# the administrator's.
def opportunity_rows() -> dict[str, Row]:
    from decimal import Decimal

    from django.utils import timezone

    from opportunities import services as opportunity_services
    from opportunities.models import Opportunity, Payment

    def rep1_deal(users: Users) -> Opportunity:
        """rep1's open deal on rep1's customer."""
        return factories.make_opportunity(users["rep1"], rep1_customer(users))

    def rep1_managed_deal(users: Users) -> Opportunity:
        """rep1's open deal on the customer `success` manages."""
        return factories.make_opportunity(users["rep1"], rep1_managed_customer(users))

    def won(customer_builder: Builder) -> Builder:
        def build(users: Users) -> Opportunity:
            return factories.make_opportunity(
                users["rep1"], customer_builder(users), stage="won"
            )

        return build

    def paid(customer_builder: Builder) -> Builder:
        """A payment on rep1's won deal."""

        def build(users: Users) -> Payment:
            return opportunity_services.payment_add(
                actor=users["rep1"],
                opportunity=won(customer_builder)(users),
                data={
                    "amount": Decimal("100.00"),
                    "received_on": timezone.localdate(),
                    "method": "bank",
                    "note": "矩阵回款",
                },
            )

        return build

    def rep1_trashed_deal(users: Users) -> Opportunity:
        deal = rep1_deal(users)
        opportunity_services.opportunity_delete(actor=users["admin"], opportunity=deal)
        return deal

    def stored(ctx: Ctx) -> Opportunity:
        return Opportunity.objects.get(pk=ctx.obj.pk)

    def create_data(ctx: Ctx) -> dict:
        return {
            "customer": ctx.customer.customer_no,
            "name": "矩阵新机会",
            "stage": "lead",
            "amount": "50000",
            "owner": getattr(ctx.actor, "pk", ""),
        }

    def edit_data(ctx: Ctx) -> dict:
        return {
            "name": "矩阵改名机会",
            "amount": str(ctx.obj.amount),
            "owner": ctx.obj.owner_id,
            "version": ctx.obj.version,
        }

    def payment_kwargs(ctx: Ctx) -> dict:
        return {"opp_no": ctx.obj.opportunity.opp_no, "pk": ctx.obj.pk}

    def payment_data(ctx: Ctx) -> dict:
        return {
            "amount": "10",
            "received_on": timezone.localdate().isoformat(),
            "method": "bank",
            "note": "矩阵新回款",
        }

    def deal_created(ctx: Ctx, allowed: bool) -> None:
        assert Opportunity.objects.filter(name="矩阵新机会").exists() is allowed

    def deal_renamed(ctx: Ctx, allowed: bool) -> None:
        assert (stored(ctx).name == "矩阵改名机会") is allowed

    def deal_trashed(ctx: Ctx, allowed: bool) -> None:
        assert (stored(ctx).deleted_at is not None) is allowed

    def deal_restored(ctx: Ctx, allowed: bool) -> None:
        assert (stored(ctx).deleted_at is None) is allowed

    def deal_lost(ctx: Ctx, allowed: bool) -> None:
        deal = stored(ctx)
        assert (deal.stage == "lost" and deal.lost_reason == "矩阵输单") is allowed

    def deal_moved(ctx: Ctx, allowed: bool) -> None:
        assert (stored(ctx).stage == "analysis") is allowed

    def payment_recorded(ctx: Ctx, allowed: bool) -> None:
        assert Payment.objects.filter(note="矩阵新回款").exists() is allowed

    def payment_gone(ctx: Ctx, allowed: bool) -> None:
        assert (not Payment.objects.filter(pk=ctx.obj.pk).exists()) is allowed

    uses = statuses(
        admin=200, manager=200, rep1=200, rep2=200, service=403, success=200
    )
    sales = statuses(
        admin=200, manager=200, rep1=200, rep2=200, service=403, success=403
    )
    detail = statuses(
        admin=200, manager=200, rep1=200, rep2=404, service=404, success=404
    )
    work = detail  # edit, delete and every action on the deal
    work_post = {k: (302 if v == 200 else v) for k, v in work.items()}
    work_managed = {**work, "success": 403}
    work_managed_post = {**work_post, "success": 403}
    trash_only = statuses(
        admin=200, manager=200, rep1=403, rep2=403, service=403, success=403
    )
    # The actions on a deal are POST-only: a GET is a 405 before any lookup.
    no_get = no_get_managed = everyone(405)

    deal = lambda build, **kw: Row(  # noqa: E731
        build=build, covers=(Opportunity,), **kw
    )
    payment = lambda build, **kw: Row(  # noqa: E731
        build=build, covers=(Payment,), kwargs=payment_kwargs, **kw
    )
    lose = lambda ctx: {"lost_reason": "矩阵输单", "version": ctx.obj.version}  # noqa: E731
    move = lambda ctx: {"stage": "analysis", "version": ctx.obj.version}  # noqa: E731
    rows = {
        "opportunities:opportunity_list": Row(get=uses),
        "opportunities:opportunity_export": Row(
            get=statuses(
                admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
            )
        ),
        "opportunities:payment_export": Row(
            get=statuses(
                admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
            )
        ),
        "opportunities:opportunity_board": Row(get=uses),
        "opportunities:board_column": Row(
            kwargs=lambda ctx: {"stage": "lead"}, get=uses
        ),
        # A posted customer is one of those the user may see, or a form error
        # (rep2 does not see rep1's customer: the form comes back, nothing made).
        "opportunities:opportunity_create": Row(
            build=rep1_customer,
            covers=CUSTOMER_PAGES,
            kwargs=lambda ctx: {},
            get=sales,
            post={
                **{k: (302 if v == 200 else v) for k, v in sales.items()},
                "rep2": 200,
            },
            data=create_data,
            writers=frozenset({"admin", "manager", "rep1"}),
            effect=deal_created,
        ),
        "opportunities:opportunity_detail": deal(rep1_deal, get=detail),
        "opportunities:opportunity_detail@success_manager": deal(
            rep1_managed_deal, get={**detail, "success": 200}
        ),
        "opportunities:opportunity_update": deal(
            rep1_deal,
            get=work,
            post=work_post,
            data=edit_data,
            effect=deal_renamed,
        ),
        "opportunities:opportunity_update@success_manager": deal(
            rep1_managed_deal,
            get=work_managed,
            post=work_managed_post,
            data=edit_data,
            effect=deal_renamed,
        ),
        "opportunities:opportunity_delete": deal(
            rep1_deal, get=work, post=work_post, effect=deal_trashed
        ),
        "opportunities:opportunity_delete@success_manager": deal(
            rep1_managed_deal,
            get=work_managed,
            post=work_managed_post,
            effect=deal_trashed,
        ),
        "opportunities:opportunity_lose": deal(
            rep1_deal, get=no_get, post=work_post, data=lose, effect=deal_lost
        ),
        "opportunities:opportunity_lose@success_manager": deal(
            rep1_managed_deal,
            get=no_get_managed,
            post=work_managed_post,
            data=lose,
            effect=deal_lost,
        ),
        "opportunities:opportunity_move": deal(
            rep1_deal, get=no_get, post=work_post, data=move, effect=deal_moved
        ),
        "opportunities:opportunity_move@success_manager": deal(
            rep1_managed_deal,
            get=no_get_managed,
            post=work_managed_post,
            data=move,
            effect=deal_moved,
        ),
        "opportunities:payment_add": deal(
            won(rep1_customer),
            get=no_get,
            post=work_post,
            data=payment_data,
            effect=payment_recorded,
        ),
        "opportunities:payment_add@success_manager": deal(
            won(rep1_managed_customer),
            get=no_get_managed,
            post=work_managed_post,
            data=payment_data,
            effect=payment_recorded,
        ),
        "opportunities:payment_delete": payment(
            paid(rep1_customer), get=no_get, post=work_post, effect=payment_gone
        ),
        "opportunities:payment_delete@success_manager": payment(
            paid(rep1_managed_customer),
            get=no_get_managed,
            post=work_managed_post,
            effect=payment_gone,
        ),
        # Managers hold every deal, deleting included: they work the trash too.
        "opportunities:opportunity_trash": Row(get=trash_only),
        "opportunities:opportunity_restore": deal(
            rep1_trashed_deal,
            get={**trash_only, "admin": 405, "manager": 405},
            post={k: (302 if v == 200 else v) for k, v in trash_only.items()},
            effect=deal_restored,
        ),
    }
    return rows


MATRIX.update(opportunity_rows())


# Imports (DESIGN §6): the wizard and the history are the administrator's
# (`imports.add_importjob`, `imports.view_importjob`); every other role 403.
def import_rows() -> dict[str, Row]:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from imports.models import ImportJob

    def sheet(name: str) -> bytes:
        book = Workbook()
        book.active.append(["客户名称", "客户等级"])
        book.active.append([name, "A"])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def admin_job(users: Users) -> ImportJob:
        """The admin's checked job of one row, with an error file."""
        data = sheet("矩阵导入有限公司")
        return ImportJob.objects.create(
            user=users["admin"],
            module="customers",
            filename="矩阵.xlsx",
            data=data,
            size=len(data),
            headers=["客户名称", "客户等级"],
            mapping={"0": "name", "1": "level"},
            status=ImportJob.Status.CHECKED,
            rows=1,
            new=1,
            error_file=sheet("错误"),
        )

    def job_status(ctx: Ctx) -> str:
        return ImportJob.objects.get(pk=ctx.obj.pk).status

    def imported(ctx: Ctx, allowed: bool) -> None:
        exists = Customer.objects.filter(name="矩阵导入有限公司").exists()
        assert exists is allowed
        assert (job_status(ctx) == ImportJob.Status.DONE) is allowed

    def uploaded(ctx: Ctx, allowed: bool) -> None:
        assert ImportJob.objects.filter(filename="矩阵上传.xlsx").exists() is allowed

    def remapped(ctx: Ctx, allowed: bool) -> None:
        mapping = ImportJob.objects.get(pk=ctx.obj.pk).mapping
        assert (mapping == {"0": "name", "1": None}) is allowed

    only_admin = statuses(
        admin=200, manager=403, rep1=403, rep2=403, service=403, success=403
    )
    only_admin_post = {k: (302 if v == 200 else v) for k, v in only_admin.items()}
    pk = lambda ctx: {"pk": ctx.obj.pk}  # noqa: E731
    job = lambda **kw: Row(  # noqa: E731
        build=admin_job, covers=(ImportJob,), kwargs=pk, **kw
    )
    return {
        "imports:import_list": Row(get=only_admin),
        "imports:import_create": Row(
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {
                "module": "customers",
                "file": SimpleUploadedFile("矩阵上传.xlsx", sheet("矩阵上传")),
            },
            effect=uploaded,
        ),
        "imports:import_template": Row(
            kwargs=lambda ctx: {"module": "customers"}, get=only_admin
        ),
        "imports:import_detail": job(get=only_admin),
        "imports:import_progress": job(get=only_admin),
        "imports:import_errors": job(get=only_admin),
        "imports:import_mapping": job(
            get=only_admin,
            post=only_admin_post,
            data=lambda ctx: {"col_0": "name", "col_1": ""},
            effect=remapped,
        ),
        "imports:import_confirm": job(
            get={**only_admin, "admin": 405},
            post=only_admin_post,
            effect=imported,
        ),
    }


MATRIX.update(import_rows())


# -- reports -----------------------------------------------------------------


def report_rows() -> dict[str, Row]:
    """DESIGN §4's reports column: admins and managers every report, reps
    their own figures, customer service the service report, customer success
    service and risk (the action lists). What a report counts is checked in
    tests/reports/; here, who opens it."""
    sales = statuses(
        admin=200, manager=200, rep1=200, rep2=200, service=403, success=403
    )
    actions = {**sales, "success": 200}
    team = statuses(
        admin=200, manager=200, rep1=403, rep2=403, service=403, success=403
    )
    # The form posts to its month (`?month=…`); a POST without one is refused
    # as forged (400) once the role may set targets at all (403 before).
    team_post = {**team, "admin": 400, "manager": 400}

    def no_target_written(ctx: Ctx, allowed: bool) -> None:
        from reports.models import SalesTarget

        assert not SalesTarget.objects.exists()

    rows = {
        "reports:index": Row(get=everyone(200)),
        "reports:distribution": Row(get=sales),
        "reports:funnel": Row(get=sales),
        "reports:team": Row(get=sales),
        "reports:value": Row(get=sales),
        "reports:service": Row(get=everyone(200)),
        "reports:actions": Row(get=actions),
        "reports:targets": Row(
            get=team,
            post=team_post,
            data=lambda ctx: {"action": "copy"},
            effect=no_target_written,
            writers=frozenset(),
        ),
    }
    return rows


MATRIX.update(report_rows())


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


@pytest.mark.parametrize("key, method, role, expected", list(matrix_params()))
def test_permission_matrix(client, users, key, method, role, expected):
    # Given a user in `role` (or nobody) and the row's record
    row = MATRIX[key]
    name = key.split("@")[0]
    obj = row.build(users)
    if obj is not None:
        assert type(obj) in row.covers, f"{key}: add {type(obj).__name__} to covers"
    actor = users.get(role)
    if actor is not None:
        client_for(client, actor)
    tag = Tag.objects.create(name="矩阵标签")
    ctx = Ctx(client=client, users=users, actor=actor, obj=obj, tag=tag)
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
        # An effect asserts, or returns whether the database is as expected.
        outcome = row.effect(ctx, role in writers)
        wrote = "did not happen" if role in writers else "happened"
        assert outcome is not False, f"POST {url} as {role}: the write {wrote}"


@pytest.mark.parametrize("role", ["manager", "rep1", "rep2", "service", "success"])
def test_admin_site_sends_non_staff_to_its_login(client, users, role):
    client_for(client, users[role])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_site_opens_for_a_superuser_only(client, users):
    # The administrator role works in /settings/; the Django admin is for
    # superusers, not for staff who are not.
    assert users["admin"].is_staff and not users["admin"].is_superuser
    client_for(client, users["admin"])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:crm_customfield_changelist")).status_code == 302
    root = User.objects.create_superuser("root", password=PASSWORD)
    client_for(client, root)
    assert client.get("/admin/").status_code == 200


def test_admin_site_sends_anonymous_to_a_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def restricted_models() -> set[type[Model]]:
    """Every model whose default manager decides visibility (`for_user`)."""
    return {
        model
        for model in apps.get_models()
        if hasattr(model._default_manager, "for_user")
    }


def test_every_restricted_model_has_a_row():
    covered = {model for row in MATRIX.values() for model in row.covers}
    missing = {m.__name__ for m in restricted_models() - covered}
    assert not missing, (
        f"models with for_user() that no permission matrix row covers: {missing}; "
        "add rows whose builder makes one (or reaches it) and list it in covers"
    )


def test_the_restricted_models_include_customers_and_contacts():
    # The walk above must see the models it is there to guard.
    assert {Customer, Contact} <= restricted_models()


ROOT = Path(__file__).resolve().parents[1]
APPS = {"customers", "followups", "opportunities", "reports"}


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Every module an AST imports, relative imports resolved within `package`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def core_sources() -> list[Path]:
    return [
        path
        for path in sorted((ROOT / "crm").rglob("*.py"))
        if not {"settings", "migrations"} & set(path.relative_to(ROOT).parts)
    ]


def test_the_core_imports_no_app():
    # crm/ knows no app: apps register what they add (crm/registry.py).
    offending = []
    for path in core_sources():
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module in sorted(imported_modules(tree, package)):
            if module.split(".")[0] in APPS:
                offending.append(f"{path.relative_to(ROOT)}: {module}")
    assert not offending, f"crm/ imports apps: {offending}"


def test_the_import_check_sees_every_import_form():
    tree = ast.parse(
        "import customers.models\n"
        "from followups import services\n"
        "from opportunities.models import Opportunity\n"
        "importlib.import_module('reports.views')\n"
    )
    found = {m.split(".")[0] for m in imported_modules(tree, "crm.sub")}
    assert found >= APPS
    assert len(core_sources()) > 10


def role_groups() -> set[str]:
    return {role for grants in registry.role_grants.values() for role in grants}


def perms_of(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(factories.ROLE_USERS.values()))
def test_each_role_group_holds_exactly_the_registered_grants(role):
    # Given the groups as the migrations left them, and what apps registered
    assert registry.grants_for(role), f"no app registers grants for {role}"
    group = Group.objects.get(name=role)
    # Then the group holds every registered grant and nothing more
    held = perms_of(group)
    assert registry.grants_for(role) - held == set(), "registered but not held"
    assert held - registry.grants_for(role) == set(), "held but never registered"


@pytest.mark.django_db
def test_every_registered_grant_names_a_permission_and_a_role_group():
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    for role in role_groups():
        assert Group.objects.filter(name=role).exists(), role
        assert registry.grants_for(role) <= existing, role
