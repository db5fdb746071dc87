"""Lists users shape themselves: columns per user, saved views, clean queries.

A list page (customers today; follow-ups, tickets, opportunities next)
declares a `ListSpec` — its key, page URL, columns and the custom-field target
whose "shown in list" fields are extra columns — and registers it in its
AppConfig with `registry.add_list()`. The page then calls `list_state()` once
per request and gets, in two queries, the columns to show (the query string's
`columns`, else the user's stored choice, else the defaults; unknown names are
dropped), the saved views the user may apply and the one applied.

Saved views store a query string only. It is never trusted: applying a view
is navigating to the list with that query, which the list feeds to its own
filter set over `for_user()`, so a shared view shows each person their rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import CustomField, ListPreference, SavedView
from .registry import registry

CUSTOM_PREFIX = "cf_"
COLUMNS_PARAM = "columns"
VIEW_PARAM = "view"
PAGE_SIZE_PARAM = "per_page"
# Never part of a list's filters: paging, the applied view and columns (kept
# apart in a saved view) and a form's CSRF token.
NOT_FILTERS = frozenset({"page", VIEW_PARAM, COLUMNS_PARAM, "csrfmiddlewaretoken"})
MAX_QUERY_LENGTH = SavedView._meta.get_field("query").max_length
MAX_COLUMNS = 100

DUPLICATE_NAME = _("You already have a view named “%(name)s”; choose another name.")
QUERY_TOO_LONG = _("These filters are too long to be saved as a view.")


@dataclass(frozen=True)
class Column:
    """A list column. `sort` is the ordering field its header sorts by;
    `locked` columns cannot be hidden; `card` columns show on a phone's card
    whether or not they are chosen; `field` is the custom field of a custom
    column."""

    key: str
    label: Any
    sort: str = ""
    default: bool = True
    locked: bool = False
    card: bool = False
    field: CustomField | None = None

    @property
    def is_custom(self) -> bool:
        return self.field is not None


@dataclass(frozen=True)
class ListSpec:
    """A list page users can shape; `may_open(user)` says who may open it
    (and so who sees the views shared on it)."""

    key: str
    url_name: str
    label: Any
    columns: tuple[Column, ...]
    custom_field_target: str = ""
    # Custom columns come before this column (at the end when empty).
    custom_before: str = ""
    may_open: Callable = field(default=lambda user: True)

    def url(self) -> str:
        return reverse(self.url_name)

    def view_url(self, view: SavedView) -> str:
        """The list with `view` applied: its query, its columns, its id."""
        params = QueryDict(view.query, mutable=True)
        for name in NOT_FILTERS:
            params.pop(name, None)
        if view.columns:
            params[COLUMNS_PARAM] = ",".join(view.columns)
        params[VIEW_PARAM] = str(view.pk)
        return f"{self.url()}?{params.urlencode()}"

    def custom_fields(self) -> list[CustomField]:
        if not self.custom_field_target:
            return []
        return list(CustomField.objects.filter(target=self.custom_field_target))

    def available(self, custom_fields) -> list[Column]:
        """Every column offered: the declared ones and the custom fields
        marked "shown in list" (not shown until chosen)."""
        custom = [
            Column(CUSTOM_PREFIX + cf.key, cf.label, default=False, field=cf)
            for cf in custom_fields
            if cf.show_in_list
        ]
        keys = [c.key for c in self.columns]
        at = keys.index(self.custom_before) if self.custom_before in keys else None
        if at is None:
            return [*self.columns, *custom]
        return [*self.columns[:at], *custom, *self.columns[at:]]


def list_spec(key: str) -> ListSpec:
    try:
        return registry.lists[key]
    except KeyError:
        raise Http404 from None


def openable_list_keys(user) -> list[str]:
    return [key for key, spec in registry.lists.items() if spec.may_open(user)]


def clean_query(params: QueryDict) -> str:
    """The filters of a list request as a query string: no empty values, no
    paging, view, columns or CSRF token, no default page size."""
    clean = QueryDict(mutable=True)
    default_size = str(settings.CRM_PAGE_SIZES[0])
    for name, values in params.lists():
        if name in NOT_FILTERS:
            continue
        kept = [v for v in values if v.strip()]
        if name == PAGE_SIZE_PARAM:
            kept = [v for v in kept if v != default_size]
        if kept:
            clean.setlist(name, kept)
    return clean.urlencode()


def without_view(url: str) -> str:
    """`url` without the applied view and its columns (the user's own
    columns apply again)."""
    path, _sep, query = url.partition("?")
    params = QueryDict(query, mutable=True)
    params.pop(COLUMNS_PARAM, None)
    params.pop(VIEW_PARAM, None)
    query = params.urlencode()
    return f"{path}?{query}" if query else path


def column_keys(value) -> list[str]:
    """Column names from "a,b,c" or a list of names, in order, once each."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return []
    keys: list[str] = []
    for item in items[:MAX_COLUMNS]:
        key = item.strip() if isinstance(item, str) else ""
        if key and key not in keys:
            keys.append(key)
    return keys


def choose_columns(available: list[Column], keys: list[str] | None) -> list[Column]:
    """The columns to show, in the list's order: `keys` (unknown ones
    ignored) plus the locked ones; the defaults when `keys` is None."""
    if keys is None:
        return [c for c in available if c.default or c.locked]
    chosen = set(keys)
    return [c for c in available if c.key in chosen or c.locked]


@dataclass
class ListState:
    """What a list page shows around its rows, read once per request."""

    spec: ListSpec
    available: list[Column]
    columns: list[Column]
    # The columns the query string asked for (a view applied), else "".
    override: str
    views: list[SavedView]
    active_view: SavedView | None
    query: str

    @property
    def chosen_keys(self) -> set[str]:
        return {c.key for c in self.columns}

    @property
    def card_extras(self) -> list[Column]:
        """Card columns not chosen: shown on a phone's card only."""
        return [c for c in self.available if c.card and c.key not in self.chosen_keys]

    @property
    def custom_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_custom]

    @property
    def my_views(self) -> list[SavedView]:
        return [v for v in self.views if v.is_mine]

    @property
    def team_views(self) -> list[SavedView]:
        return [v for v in self.views if not v.is_mine]


def list_state(request, spec: ListSpec, custom_fields=None) -> ListState:
    """Columns, saved views and the clean query of a list request."""
    user = request.user
    if custom_fields is None:
        custom_fields = spec.custom_fields()
    available = spec.available(custom_fields)
    known = {c.key for c in available}
    override = [
        k for k in column_keys(request.GET.get(COLUMNS_PARAM, "")) if k in known
    ]
    keys = override or stored_columns(user, spec)
    views = saved_views_for(user, spec)
    wanted = request.GET.get(VIEW_PARAM, "")
    active = next((v for v in views if str(v.pk) == wanted), None)
    return ListState(
        spec=spec,
        available=available,
        columns=choose_columns(available, keys),
        override=",".join(override),
        views=views,
        active_view=active,
        query=clean_query(request.GET),
    )


def stored_columns(user, spec: ListSpec) -> list[str] | None:
    stored = (
        ListPreference.objects.filter(user=user, list_key=spec.key)
        .values_list("columns", flat=True)
        .first()
    )
    return column_keys(stored) if isinstance(stored, list) else None


def saved_views_for(user, spec: ListSpec) -> list[SavedView]:
    """The views of `spec` the user may apply (own first), each flagged
    `is_mine` and `can_change` (rename, share, delete)."""
    rows = (
        SavedView.objects.for_user(user, "view")
        .filter(list_key=spec.key)
        .select_related("owner")
        .annotate_allowed(user, "change", "can_change")
        .order_by("name", "id")
    )
    views = list(rows)
    for view in views:
        view.is_mine = view.owner_id == user.pk
    return sorted(views, key=lambda v: not v.is_mine)


def list_columns_save(
    *, user, spec: ListSpec, keys: list[str] | None, custom_fields=None
) -> ListPreference | None:
    """Remember the user's columns for `spec` (only those it offers); `keys`
    None forgets the choice, back to the defaults."""
    with transaction.atomic():
        if keys is None:
            ListPreference.objects.filter(user=user, list_key=spec.key).delete()
            return None
        if custom_fields is None:
            custom_fields = spec.custom_fields()
        columns = choose_columns(spec.available(custom_fields), column_keys(keys))
        preference, _created = ListPreference.objects.update_or_create(
            user=user,
            list_key=spec.key,
            defaults={"columns": [c.key for c in columns]},
        )
    return preference


def _checked_query(query: str) -> str:
    text = clean_query(QueryDict(query))
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError({"name": QUERY_TOO_LONG})
    return text


def _duplicate(name: str) -> ValidationError:
    return ValidationError({"name": DUPLICATE_NAME % {"name": name}})


def saved_view_create(
    *,
    owner,
    spec: ListSpec,
    name: str,
    query: str,
    columns: list[str],
    shared: bool,
) -> SavedView:
    """A view of `spec` owned by `owner`; the name is unique per owner and list."""
    known = {c.key for c in spec.available(spec.custom_fields())}
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                owner=owner,
                list_key=spec.key,
                name=name,
                query=_checked_query(query),
                columns=[k for k in column_keys(columns) if k in known],
                shared=shared,
            )
    except IntegrityError:
        raise _duplicate(name) from None


def saved_view_update(*, view: SavedView, name: str, shared: bool) -> SavedView:
    """Rename a view or change whether the team sees it."""
    view.name, view.shared = name, shared
    try:
        with transaction.atomic():
            view.save(update_fields=["name", "shared", "updated_at"])
    except IntegrityError:
        raise _duplicate(name) from None
    return view


def saved_view_delete(*, view: SavedView) -> None:
    with transaction.atomic():
        view.delete()
