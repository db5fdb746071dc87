"""Permission primitives (DESIGN §4); the only importer of guardian.shortcuts.

Which rows a user may see is decided by `crm.querysets.RestrictedQuerySet`;
this module answers the questions it is built from: does the user's role
grant an action on every row (`has_model_perm`), which rows were shared with
the user (`object_perm_q`), and who may be given an action at all
(`users_with_model_perm`). Grants and revokes of shares go through here.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.db.models.signals import post_migrate
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


_permission_ids: dict[tuple[str, str], int | None] = {}


def permission_id(model, action: str) -> int | None:
    """The id of `<action>_<model>`, read once per process.

    Filtering the grant tables on this id, instead of joining auth_permission
    on the codename per row, lets PostgreSQL estimate a rep's grants from the
    (user, permission) index. Ids change only when the tables are rebuilt
    (migrate, flush), which is when the cache is dropped."""
    key = (model._meta.app_label, codename(model, action))
    if key not in _permission_ids:
        _permission_ids[key] = (
            Permission.objects.filter(content_type__app_label=key[0], codename=key[1])
            .values_list("pk", flat=True)
            .first()
        )
    return _permission_ids[key]


def _forget_permission_ids(**kwargs) -> None:
    _permission_ids.clear()


post_migrate.connect(_forget_permission_ids, dispatch_uid="crm.permission_ids")


def object_perm_q(model, user, action: str) -> Q:
    """Rows shared with the user for `action`, directly or through a group.

    `pk IN (subquery)` lets the database pick a semi-join: a nested loop for one
    record, a hash for a list. Grants to whole groups are rare, and OR-ing
    their subquery in would force a per-query hash of every grant the user
    has, so it is only added when the user's groups hold any.
    """
    perm = permission_id(model, action)
    if perm is None:
        return Q(pk__in=[])
    user_rows = get_user_obj_perms_model(model).objects.filter(
        user=user, permission_id=perm
    )
    q = Q(pk__in=user_rows.values("content_object_id"))
    if _has_group_grants(user, model):
        group_rows = get_group_obj_perms_model(model).objects.filter(
            group__user=user, permission_id=perm
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


def users_with_model_perm(model, action: str):
    """Active users whose role (or own permissions) grant `action` on `model`.

    Role rules such as "only sales roles may be given edit access" are
    permissions, never group names, so renaming a role changes nothing."""
    perm = Permission.objects.filter(
        content_type__app_label=model._meta.app_label,
        codename=codename(model, action),
    )
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(
        Q(is_superuser=True)
        | Q(pk__in=users.filter(groups__permissions__in=perm).values("pk"))
        | Q(pk__in=users.filter(user_permissions__in=perm).values("pk"))
    )


def may_be_given(user, model, action: str) -> bool:
    return users_with_model_perm(model, action).filter(pk=user.pk).exists()


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
