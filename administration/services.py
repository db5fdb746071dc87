"""Writes of the settings pages: custom fields, users and roles, the company.

Keyword-only and atomic (HackSoft); each change leaves a history entry on the
changed row (raw values, labelled when shown), and each change of who may do
what (a role given or taken, an account opened or closed) a security event.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm import history, roles
from crm.models import CustomField, HistoryEntry, SecurityEvent

from . import selectors
from .models import CompanySettings

User = get_user_model()

CUSTOM_FIELD_FIELDS = (
    "target",
    "key",
    "label",
    "field_type",
    "choices",
    "required",
    "show_in_list",
    "filterable",
    "order",
)


def _values(obj, names) -> dict:
    return {name: history.raw_value(obj, name) for name in names}


def _record_changes(obj, actor, before: dict, names, action=None) -> list[dict]:
    """A history entry with what changed on `obj` since `before`, if anything."""
    changes = history.diff(before, _values(obj, names))
    if changes or action:
        history.record(obj, actor, action or HistoryEntry.Action.UPDATE, changes)
    return changes


def customfield_create(*, actor, data: dict) -> CustomField:
    with transaction.atomic():
        field = CustomField(**data)
        field.full_clean()
        field.save()
        _record_changes(
            field, actor, {}, CUSTOM_FIELD_FIELDS, HistoryEntry.Action.CREATE
        )
        return field


def customfield_update(*, actor, field: CustomField, data: dict) -> CustomField:
    """Change a definition; its target and key stay (stored values hang on them)."""
    with transaction.atomic():
        current = CustomField.objects.select_for_update().get(pk=field.pk)
        before = _values(current, CUSTOM_FIELD_FIELDS)
        for name, value in data.items():
            if name in ("target", "key"):
                continue
            setattr(current, name, value)
        current.full_clean()
        current.save()
        _record_changes(current, actor, before, CUSTOM_FIELD_FIELDS)
        return current


def customfield_delete(*, actor, field: CustomField) -> int:
    """Delete the definition; stored values stay in the records' JSON (a field
    added again with the same key finds them). Returns how many records hold one."""
    with transaction.atomic():
        held = selectors.records_with_value(field)
        history.record(
            field,
            actor,
            HistoryEntry.Action.DELETE,
            [
                {"field": n, "old": v, "new": ""}
                for n, v in _values(field, CUSTOM_FIELD_FIELDS).items()
            ],
        )
        history.audit(
            actor,
            SecurityEvent.Kind.PURGE,
            f"{field.get_target_display()} · {field.label} ({field.key})",
            rows=held,
            what="custom_field",
        )
        field.delete()
        return held


# Users and roles -------------------------------------------------------------


def role_groups():
    """The role groups of `crm.roles`, in the order roles are listed there."""
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLE_LABELS)}
    return [groups[name] for name in roles.ROLE_LABELS if name in groups]


def _role_of(user) -> str:
    return next((n for n in roles.role_names(user) if n in roles.ROLE_LABELS), "")


def _set_role(user, role: str) -> None:
    user.groups.remove(*Group.objects.filter(name__in=roles.ROLE_LABELS))
    if role:
        user.groups.add(Group.objects.get(name=role))
    user.__dict__.pop("_crm_roles", None)


USER_FIELDS = ("first_name", "email", "is_active")


def user_create(
    *, actor, username: str, full_name: str, email: str, role: str, password: str
):
    """A new account with one role; its password went through the validators."""
    with transaction.atomic():
        user = User.objects.create_user(
            username, email=email, password=password, first_name=full_name
        )
        _set_role(user, role)
        history.record(
            user,
            actor,
            HistoryEntry.Action.CREATE,
            [
                {"field": "username", "old": "", "new": username},
                *history.diff({}, _values(user, USER_FIELDS)),
                {"field": "role", "old": "", "new": role},
            ],
        )
        history.audit(
            actor,
            SecurityEvent.Kind.GRANT,
            f"{username} → {role}",
            role=role,
            action="create_user",
        )
        return user


def user_update(*, actor, user, full_name: str, email: str, role: str, is_active: bool):
    """Save an account; an administrator cannot lock themselves out (their
    own role and active flag stay as they are)."""
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        old_role = _role_of(current)
        if current.pk == actor.pk:
            errors = {}
            if role != old_role:
                errors["role"] = _(
                    "You cannot change your own role; ask another administrator."
                )
            if not is_active:
                errors["is_active"] = _(
                    "You cannot deactivate your own account; ask another administrator."
                )
            if errors:
                raise ValidationError(errors)
        before = {**_values(current, USER_FIELDS), "role": old_role}
        current.first_name, current.email = full_name, email
        current.is_active = is_active
        current.save(update_fields=["first_name", "email", "is_active"])
        if role != old_role:
            _set_role(current, role)
        changes = history.diff(before, {**_values(current, USER_FIELDS), "role": role})
        if changes:
            history.record(current, actor, HistoryEntry.Action.UPDATE, changes)
        if role != old_role:
            history.audit(
                actor,
                SecurityEvent.Kind.GRANT if role else SecurityEvent.Kind.REVOKE,
                f"{current.username} → {role or '-'}",
                role=role,
                previous=old_role,
                action="change_role",
            )
        if before["is_active"] != is_active:
            history.audit(
                actor,
                SecurityEvent.Kind.GRANT if is_active else SecurityEvent.Kind.REVOKE,
                current.username,
                action="activate" if is_active else "deactivate",
            )
        return current


def user_deactivate(*, actor, user):
    return user_update(
        actor=actor,
        user=user,
        full_name=user.first_name,
        email=user.email,
        role=_role_of(user),
        is_active=False,
    )


def user_set_password(*, actor, user, password: str) -> None:
    """A new password set by an administrator; the user's other sessions end
    (Django's session hash changes with the password)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        history.record(
            user,
            actor,
            HistoryEntry.Action.UPDATE,
            [{"field": "password", "old": "", "new": "reset"}],
        )
        history.security_log.info(
            "password reset by %s for %s", actor.username, user.username
        )


# The company -----------------------------------------------------------------


def company_update(*, actor, data: dict, expected_version: int) -> CompanySettings:
    """Save the company's settings unless someone saved since `expected_version`."""
    with transaction.atomic():
        CompanySettings.load()
        current = CompanySettings.lock_version(
            CompanySettings.SINGLETON, expected_version
        )
        with history.tracked(current, actor):
            for name, value in data.items():
                setattr(current, name, value)
            current.full_clean()
            current.version += 1
            current.save()
        return current
