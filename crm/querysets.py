"""The one restricted queryset every record model's queryset extends.

`Model.objects.for_user(user, action)` is the only place that decides which
rows a user may see or act on (DESIGN §4, NetBox's `RestrictedQuerySet`). A
model's queryset declares where access comes from, and this class turns the
declaration into one WHERE clause:

- a model-level permission held through a role covers every row;
- `holder_actions`: users named in a column of the row (the owner, the success
  manager) may do the listed actions. These ride the columns' indexes, so a
  rep's list costs what an admin's does, and need no grant rows;
- `object_grants`: rows shared with the user or one of the user's groups,
  read from the model's direct-foreign-key grant tables (django-guardian);
- `parent_field` / `parent_actions`: rows visible through a parent record (a
  contact, follow-up or ticket through its customer), for the actions listed,
  when `via_parent_allowed()` says the user's role reaches them that way.
"""

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When

from . import permissions


class RestrictedQuerySet(QuerySet):
    holder_actions: dict[str, tuple[str, ...]] = {}
    object_grants: bool = False
    parent_field: str | None = None
    parent_actions: dict[str, str] = {}

    def for_user(self, user, action: str = "view"):
        """The rows `user` may `action`; a hidden row is as absent as a missing one."""
        qs = self.visible_base()
        q = self.access_q(user, action)
        return qs if q is None else qs.filter(q)

    def visible_base(self):
        """The rows access is decided on; soft-deleted models leave out the trash."""
        return self

    def access_q(self, user, action: str) -> Q | None:
        """None for every row, else the condition a row must meet."""
        if not (user.is_authenticated and user.is_active):
            return Q(pk__in=[])
        if permissions.has_model_perm(user, self.model, action):
            return None
        q = Q(pk__in=[])
        for column, actions in self.holder_actions.items():
            if action in actions:
                q |= Q(**{column: user})
        if self.object_grants:
            q |= permissions.object_perm_q(self.model, user, action)
        parent_action = self.parent_actions.get(action)
        if parent_action and self.via_parent_allowed(user, action):
            parent = self.model._meta.get_field(self.parent_field).related_model
            # A correlated EXISTS, not `parent__in=(subquery)`: inside an OR,
            # PostgreSQL cannot turn IN into a semi-join, and once the
            # parent rows are too many to hash (a rep's 600k customers at a
            # million) it rescans them for every child row.
            parents = parent._default_manager.for_user(user, parent_action)
            q |= Q(Exists(parents.filter(pk=OuterRef(self.parent_field))))
        return q

    def via_parent_allowed(self, user, action: str) -> bool:
        """Whether the user's role reaches these rows through the parent at all.

        Override where a role column of DESIGN §4 says "none" although the
        role sees the parent (customer service sees every customer but no
        opportunity)."""
        return True

    def annotate_allowed(self, user, action: str, name: str):
        """Add a boolean column `name`: may the user do `action` on this row?

        Lists and detail pages compute their "may edit / may delete" flags
        this one way, in the same query that reads the rows."""
        return self.annotate(**{name: flag(self.access_q(user, action))})


def flag(q: Q | None):
    """A boolean column for condition `q` (None: every row). Never SQL NULL: a
    comparison with an empty column (no success manager) is False, not unknown."""
    if q is None:
        return Value(True)
    return Case(When(q, then=Value(True)), default=Value(False))


class SoftDeleteQuerySet(RestrictedQuerySet):
    """Rows of a soft-deleted model: `for_user()` never includes the trash."""

    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def trashed(self):
        return self.filter(deleted_at__isnull=False)

    def visible_base(self):
        return self.alive()

    def trash_for_user(self, user):
        """Trashed rows, for those whose role may delete (restore, purge)."""
        if not permissions.has_model_perm(user, self.model, "delete"):
            return self.none()
        return self.trashed()
