"""Reads of the settings pages."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch

from crm import customfields, roles
from crm.models import CustomField


def custom_fields(target: str):
    return CustomField.objects.filter(target=target).order_by("order", "id")


def target_counts() -> dict[str, int]:
    """{target: number of fields}, one grouped query for the section's tabs."""
    rows = CustomField.objects.values("target").annotate(n=Count("id"))
    return {row["target"]: row["n"] for row in rows.order_by()}


def records_with_value(field: CustomField) -> int:
    """How many records (trashed ones included) store a value under its key."""
    return sum(
        model._base_manager.filter(custom__has_key=field.key).count()
        for model in customfields.models_for(field.target)
    )


def users():
    """Every account with its role groups (two queries, whatever the page size)."""
    return (
        get_user_model()
        .objects.prefetch_related(
            Prefetch(
                "groups",
                queryset=Group.objects.filter(name__in=roles.ROLE_LABELS),
                to_attr="role_groups",
            )
        )
        .order_by("-is_active", "username")
    )


def role_label(user) -> str:
    """The role of a user from `users()`, as the list shows it."""
    names = [g.name for g in user.role_groups]
    if user.is_superuser and not names:
        return str(roles.ROLE_LABELS[roles.ADMIN])
    return " / ".join(str(roles.ROLE_LABELS.get(n, n)) for n in names)
