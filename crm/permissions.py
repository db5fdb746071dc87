"""The one permission mechanism (DESIGN §4); the only importer of guardian.shortcuts.

`restrict(queryset, user, action)` decides which rows a user may see or act on:
- a model-level permission (held through a role) covers every row;
- otherwise only rows with an object permission for the user or one of the
  user's groups, read from the model's direct-foreign-key permission tables.
Every queryset's `for_user()` calls it; views, forms, bulk actions, exports and
reports get their rows from `for_user()` and nowhere else.
"""

from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Q,
    QuerySet,
    Value,
)
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model


def codename(model, action: str) -> str:
    return f"{action}_{model._meta.model_name}"


def has_model_perm(user, model, action: str) -> bool:
    """True when the user's role grants `action` on every row of `model`."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.has_perm(
        f"{model._meta.app_label}.{codename(model, action)}"
    )


def object_perm_q(model, user, action: str) -> Q:
    """Rows the user holds `action` on as an object, directly or through a group.

    `pk IN (subquery)` lets the database pick a semi-join: a nested loop for one
    record, a hash for a list. Grants to whole groups are rare, and OR-ing
    their subquery in would force a per-query hash of every grant the user
    has, so it is only added when the user's groups hold any.
    """
    perm = codename(model, action)
    user_rows = get_user_obj_perms_model(model).objects.filter(
        user=user, permission__codename=perm
    )
    q = Q(pk__in=user_rows.values("content_object_id"))
    if _has_group_grants(user, model):
        group_rows = get_group_obj_perms_model(model).objects.filter(
            group__user=user, permission__codename=perm
        )
        q |= Q(pk__in=group_rows.values("content_object_id"))
    return q


def _has_group_grants(user, model) -> bool:
    """Cached on the user object, i.e. for the request."""
    cache = user.__dict__.setdefault("_crm_group_grants", {})
    if model not in cache:
        cache[model] = (
            get_group_obj_perms_model(model).objects.filter(group__user=user).exists()
        )
    return cache[model]


def restrict(queryset: QuerySet, user, action: str) -> QuerySet:
    model = queryset.model
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if has_model_perm(user, model, action):
        return queryset
    return queryset.filter(object_perm_q(model, user, action))


def annotate_allowed(queryset: QuerySet, user, action: str, name: str) -> QuerySet:
    """Add a boolean column `name`: may the user do `action` on this row?"""
    if has_model_perm(user, queryset.model, action):
        flag = Value(True, output_field=BooleanField())
    else:
        flag = ExpressionWrapper(
            object_perm_q(queryset.model, user, action), output_field=BooleanField()
        )
    return queryset.annotate(**{name: flag})


def grant(user, obj, actions) -> None:
    for action in actions:
        assign_perm(codename(type(obj), action), user, obj)


def revoke(user, obj, actions) -> None:
    for action in actions:
        remove_perm(codename(type(obj), action), user, obj)


def users_with_object_perms(obj) -> dict:
    """{user: [codename, ...]} for direct user grants on obj."""
    return get_users_with_perms(
        obj, attach_perms=True, with_superusers=False, with_group_users=False
    )
