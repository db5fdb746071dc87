"""Shared view machinery: the one permission mixin, the workbench, login."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from . import forms as merge
from . import history, permissions, privacy
from .auth import ThrottledAuthenticationForm
from .context_processors import badge_id
from .features import StaleEdit
from .registry import registry


class RestrictedViewMixin:
    """Rows come from `Model.objects.for_user()`; hidden = 404, forbidden = 403.

    `permission_action` is what the view does to its object ("view", "change",
    "delete", …); objects are first looked up among those the user may view, so
    a record the user may not see is a 404 exactly like a missing one.
    `model_permission` names an action the user's role must grant on every row
    of the model (create, export, the trash); without it the view is a 403.

    Forms get every related-object field restricted to the rows the user may
    see (NetBox's `restrict_form_fields`), and `save_restricted()` re-checks
    the saved record against the restricted queryset inside the transaction.
    """

    permission_action = "view"
    model_permission = None

    def dispatch(self, request, *args, **kwargs):
        if self.model_permission and not permissions.has_model_perm(
            request.user, self.model, self.model_permission
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user, "view")

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        action = self.permission_action
        if action != "view" and not (
            self.model.objects.for_user(self.request.user, action)
            .filter(pk=obj.pk)
            .exists()
        ):
            raise PermissionDenied
        return obj

    def get_form(self, form_class=None):
        return restrict_form_fields(super().get_form(form_class), self.request.user)

    def save_restricted(self, save):
        """Run `save()` (a service call) and keep its result only if the user may
        still see the record it returns; otherwise roll it back (403)."""
        with transaction.atomic():
            obj = save()
            visible = self.model.objects.for_user(self.request.user, "view")
            if not visible.filter(pk=obj.pk).exists():
                raise PermissionDenied
        return obj


class StaleEditMixin:
    """Saves of a versioned record that never overwrite someone else's save.

    The edit form (`crm.forms.VersionedFormMixin`) carries a signed snapshot
    of what it was loaded with. A save refused as stale is merged instead:
    the form comes back with the current values of the fields the user did
    not change, the user's values of the fields only they changed, and each
    field both changed shown with both values and a required "keep mine" /
    "take theirs" choice. What changed meanwhile is listed above the form, in
    the reader's language and masked as the reader's access requires. Nothing
    is saved until the user saves the merged form.

    Views name their inline formsets in `formset_names` and build them in
    `get_formset()`; they save in `save_form()` and may check the version
    early in `check_version()`.
    """

    formset_names: tuple[str, ...] = ()

    def get_formset(self, name, instance, data=None):
        raise NotImplementedError

    def save_form(self, form, formsets):
        raise NotImplementedError

    def check_version(self, form):
        if self.object is not None and self.object.pk:
            self.object.check_version(form.cleaned_data.get("version") or 0)

    def form_valid(self, form):
        formsets = {
            name: self.get_formset(name, form.instance, self.request.POST)
            for name in self.formset_names
        }
        valid = all([formset.is_valid() for formset in formsets.values()])
        valid = valid and self.apply_choices(form, formsets)
        try:
            # Staleness first: a row someone else deleted meanwhile makes the
            # formset invalid, and the merge is what the user needs to see.
            self.check_version(form)
            if not valid:
                return self.render_to_response(
                    self.get_context_data(form=form, **formsets)
                )
            self.object = self.save_form(form, formsets)
        except StaleEdit as stale:
            return self.stale_response(form, stale, formsets)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render_to_response(self.get_context_data(form=form, **formsets))
        messages.success(self.request, self.success_message % {"name": self.object})
        return HttpResponseRedirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        if not isinstance(form, merge.VersionedFormMixin) or not form.instance.pk:
            return context
        formsets = {n: context[n] for n in self.formset_names if n in context}
        if form.is_bound:
            conflicts = (form.loaded_data() or {}).get("conflicts", {})
        else:
            if merge.LOADED not in form.initial:
                form.sign_loaded(formsets)
            conflicts = getattr(form, "merge_conflicts", {})
        for key, info in conflicts.items():
            self._attach(form, formsets, key, info)
        return context

    def fresh_form(self, instance, initial=None):
        """An unbound form of `instance`, as the edit page would show it."""
        kwargs = self.get_form_kwargs()
        kwargs.pop("data", None)
        kwargs.pop("files", None)
        kwargs["instance"] = instance
        kwargs["initial"] = {**kwargs.get("initial", {}), **(initial or {})}
        form = self.get_form_class()(**kwargs)
        return restrict_form_fields(form, self.request.user)

    def stale_response(self, form, stale, formsets=None, **context):
        current, formsets = stale.current, formsets or {}
        visible = privacy.may_see_contact_details(
            self.model.objects.all(), self.request.user, current.pk
        )
        mask = None if visible else privacy.mask_text
        private = getattr(self.model, "private_history_fields", ())
        loaded = form.loaded_data() or {}
        theirs_form = self.fresh_form(current)
        theirs = merge.initial_values(theirs_form)
        values, names = merge.merge_values(
            loaded.get("fields"), merge.submitted_values(form), theirs
        )
        shown = self.fresh_form(current, merge.as_initial(theirs_form.fields, values))
        conflicts = {
            name: {
                "kind": merge.FIELD,
                "field": name,
                "value": theirs[name],
                "mine": merge.display(shown.fields[name], values[name]),
                "theirs": merge.display(shown.fields[name], theirs[name]),
            }
            for name in names
        }
        theirs_sets, shown_sets = {}, {}
        for name in self.formset_names:
            theirs_sets[name] = self.get_formset(name, current)
            rows = merge.initial_rows(theirs_sets[name])
            mine = (
                merge.submitted_rows(formsets[name]) if name in formsets else ({}, [])
            )
            plan = merge.merge_rows((loaded.get("rows") or {}).get(name), mine, rows)
            shown_sets[name] = self.get_formset(name, current)
            plan.apply(shown_sets[name])
            fields = shown_sets[name].empty_form.fields
            row_mask = mask if name in private else None
            for info in plan.conflicts:
                pk, kind = info["id"], info["kind"]
                info = {**info, "formset": name}
                if kind == merge.FIELD:
                    field, theirs_value = info["field"], rows[pk][info["field"]]
                    mine_value = plan.rows[pk][field]
                    info.update(
                        value=theirs_value,
                        mine=merge.display(fields[field], mine_value),
                        theirs=merge.display(fields[field], theirs_value),
                    )
                    if row_mask:
                        info.update(mine=row_mask(info["mine"]))
                        info.update(theirs=row_mask(info["theirs"]))
                    conflicts[f"{name}.{pk}.{field}"] = info
                    continue
                if kind == merge.DELETED_BY_ME:
                    info.update(mine=merge.row_text(shown_sets[name].empty_form, None))
                    info.update(
                        theirs=merge.row_text(
                            shown_sets[name].empty_form, rows[pk], row_mask
                        )
                    )
                else:
                    sub = plan.new[info["index"]][0]
                    info.update(
                        mine=merge.row_text(shown_sets[name].empty_form, sub, row_mask)
                    )
                    info.update(
                        theirs=merge.row_text(shown_sets[name].empty_form, None)
                    )
                conflicts[f"{name}.{pk}"] = info
        theirs_form.sign_loaded(theirs_sets, conflicts)
        shown.initial[merge.LOADED] = theirs_form.initial[merge.LOADED]
        shown.merge_conflicts = conflicts
        entries = history.present(stale.entries, self.model, mask=mask)
        return self.render_to_response(
            self.get_context_data(
                form=shown,
                stale_entries=entries,
                stale_conflicts=len(conflicts),
                **shown_sets,
                **context,
            )
        )

    def apply_choices(self, form, formsets) -> bool:
        """Settle the conflicts the form was shown with, as the user chose; a
        conflict left unanswered is an error next to it."""
        if not isinstance(form, merge.VersionedFormMixin):
            return True
        conflicts = (form.loaded_data() or {}).get("conflicts", {})
        settled = True
        for key, info in conflicts.items():
            target, name = self._target(form, formsets, info)
            if target is None or not hasattr(target, "cleaned_data"):
                continue
            choice = self.request.POST.get(merge.CHOICE_PREFIX + key)
            if choice not in (merge.MINE, merge.THEIRS):
                target.add_error(name, merge.CHOOSE_MESSAGE)
                settled = False
            elif info["kind"] == merge.FIELD and choice == merge.THEIRS:
                try:
                    value = target.fields[name].clean(info["value"])
                except ValidationError as exc:
                    target.add_error(name, exc)
                    settled = False
                else:
                    target.cleaned_data[name] = value
            elif info["kind"] == merge.DELETED_BY_THEM:
                target.cleaned_data["DELETE"] = choice == merge.THEIRS
            elif info["kind"] == merge.DELETED_BY_ME:
                target.cleaned_data["DELETE"] = choice == merge.MINE
        return settled

    @staticmethod
    def _target(form, formsets, info):
        """(form, field name or None for a whole row) a conflict is about."""
        name = info.get("formset")
        if not name:
            return form, info["field"]
        formset = formsets.get(name)
        if formset is None:
            return None, None
        forms = formset.forms
        if info["kind"] == merge.DELETED_BY_THEM:
            index = formset.initial_form_count() + info["index"]
            return (forms[index] if index < len(forms) else None), None
        for row in forms[: formset.initial_form_count()]:
            if str(row.instance.pk) == info["id"]:
                return row, info.get("field")
        return None, None

    def _attach(self, form, formsets, key, info):
        target, name = self._target(form, formsets, info)
        if target is None:
            return
        choice_name = merge.CHOICE_PREFIX + key
        shown = {
            **info,
            "name": choice_name,
            "choice": self.request.POST.get(choice_name, ""),
        }
        if info["kind"] == merge.FIELD:
            shown.update(
                note=_("Changed by you and by someone else since you opened the form."),
                mine_label=_("Keep mine"),
                theirs_label=_("Take theirs"),
            )
            target[name].conflict = shown
            return
        item = formsets[info["formset"]].model._meta.verbose_name
        if info["kind"] == merge.DELETED_BY_THEM:
            shown.update(
                note=_("Someone else deleted this %(item)s; you had changed it.")
                % {"item": item},
                mine_label=_("Keep it as a new %(item)s") % {"item": item},
                theirs_label=_("Drop it"),
            )
        else:
            shown.update(
                note=_("You deleted this %(item)s; someone else changed it.")
                % {"item": item},
                mine_label=_("Delete it"),
                theirs_label=_("Keep it with their changes"),
            )
        target.row_conflict = shown


class RecordActionView(RestrictedViewMixin, SingleObjectMixin, View):
    """A POST on a record from its page (a status step, an assignment, a
    payment): `act(record)` does it. Input to correct re-renders the page with
    the bound form and its errors next to the fields (`again`); a refused or
    stale action goes back to the page with the reason (`refused`, `stale`).

    A module sets `template_name`, `stale_message` and `page_context(**forms)`
    (what its detail page shows, with the given bound forms)."""

    http_method_names = ["post"]
    permission_action = "change"
    stale_message = _(
        "Someone changed this record while you were looking at it, so nothing "
        "was saved. This is the record as it is now; try again."
    )

    def page_context(self, **forms) -> dict:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.act(self.object)

    def back(self, anchor: str = ""):
        return HttpResponseRedirect(self.object.get_absolute_url() + anchor)

    def again(self, template=None, **forms):
        """The page again (or `template`, a partial of it) with the bound forms."""
        return TemplateResponse(
            self.request, template or self.template_name, self.page_context(**forms)
        )

    def refused(self, exc: ValidationError, anchor: str = ""):
        for text in exc.messages:
            messages.error(self.request, text)
        return self.back(anchor)

    def stale(self):
        messages.error(self.request, self.stale_message)
        return self.back()


class TrashActionView(RestrictedViewMixin, SingleObjectMixin, View):
    """POST-only action on a record in the trash (restore, purge): the record
    is looked up among what the user's trash holds; `act(record)` does it."""

    model_permission = "delete"
    http_method_names = ["post"]

    def get_queryset(self):
        return self.model.objects.trash_for_user(self.request.user)

    def post(self, request, *args, **kwargs):
        self.act(self.get_object())
        return HttpResponseRedirect(self.success_url)

    def act(self, record):
        raise NotImplementedError


def restrict_form_fields(form, user):
    """Limit every model-choice field of `form` whose model has `for_user()` to
    the rows `user` may see, so no form accepts a forged id of a hidden record."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_user"):
            field.queryset = queryset & queryset.model.objects.for_user(user, "view")
    return form


class WorkbenchView(TemplateView):
    """`/`: the panels each module registered, in order, for this user; each
    panel decides from the user's permissions whether it shows."""

    template_name = "crm/workbench.html"

    def get_context_data(self, **kwargs):
        panels = []
        for panel in registry.panels:
            data = panel.context(self.request)
            if data is not None:
                panels.append(
                    {"name": panel.name, "template": panel.template, "data": data}
                )
        return super().get_context_data(
            panels=panels, today=timezone.localdate(), **kwargs
        )


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        messages.info(request, _("You have logged out."))
        return super().post(request, *args, **kwargs)


def badge_label(count: int) -> str:
    return "99+" if count > 99 else str(count)


class NavBadgesView(TemplateView):
    """The counts beside navigation entries and the bell, as htmx out-of-band
    swaps. Every page loads this once after it has rendered, so a page's own
    queries don't grow with the badges, and without JS pages simply show none."""

    template_name = "crm/nav_badges.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        counts = [
            (badge_id(item.url_name), item.badge(user))
            for item in registry.nav_for(user)
            if item.badge
        ]
        counts += [(f"badge-{name}", fn(user)) for name, fn in registry.badges.items()]
        return {
            "badges": [
                {"id": id_, "count": count, "label": badge_label(count)}
                for id_, count in counts
            ]
        }

    def render_to_response(self, context, **response_kwargs):
        # Without the request: the page's context processors (navigation,
        # company, role) would cost queries this fragment never shows.
        return HttpResponse(render_to_string(self.template_name, context))
