"""Pages behind every shaped list: the column chooser and saved views.

Each answers a plain form post (redirect back to the list) and an htmx one:
the column chooser then answers 204 with an `HX-Trigger` the list's script
reloads its results on; the saved-view form comes back with its errors, or
sends the browser to the list with the new view applied.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, DeleteView, UpdateView, View
from django_htmx.http import push_url

from . import customfields, lists
from .models import SavedView
from .pagination import CappedPaginator, page_size
from .views import RestrictedViewMixin

COLUMNS_SAVED_EVENT = "listColumnsSaved"
FORM_PARTIAL = "includes/list_savedview_form.html"


def list_for(user, list_key: str) -> lists.ListSpec:
    """The registered list (404 when unknown), if the user may open it (403)."""
    spec = lists.list_spec(list_key)
    if not spec.may_open(user):
        raise PermissionDenied
    return spec


def back_to(request, spec: lists.ListSpec) -> str:
    """The list page the form was posted from (`next`), else the list itself."""
    target = request.POST.get("next", "")
    base = spec.url()
    if (
        target.startswith(base)
        and target[len(base) : len(base) + 1] in ("", "?")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        return target
    return base


class ListColumnsView(View):
    """Remember the columns the user ticked (or, with `reset`, forget them).

    It writes only the requesting user's own preference row, so there is no
    record to restrict; the list itself decides what rows there are."""

    http_method_names = ["post"]

    def post(self, request, list_key):
        spec = list_for(request.user, list_key)
        keys = None if request.POST.get("reset") else request.POST.getlist("columns")
        lists.list_columns_save(user=request.user, spec=spec, keys=keys)
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Trigger"] = COLUMNS_SAVED_EVENT
            return response
        return HttpResponseRedirect(lists.without_view(back_to(request, spec)))


class SavedViewForm(forms.ModelForm):
    # Its fields sit on list pages beside the filters: keep their ids apart.
    prefix = "view"

    name = forms.CharField(
        label=gettext_lazy("View name"),
        max_length=SavedView._meta.get_field("name").max_length,
        error_messages={
            "required": gettext_lazy("Give the view a name."),
            "max_length": gettext_lazy(
                "A view name has at most %(limit_value)d characters "
                "(this one has %(show_value)d)."
            ),
        },
    )
    shared = forms.BooleanField(
        label=gettext_lazy("Share with the team"), required=False
    )

    class Meta:
        model = SavedView
        fields = ["name", "shared"]

    def __init__(self, *args, owner, spec, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner, self.spec = owner, spec

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(self.fields["name"].error_messages["required"])
        taken = SavedView.objects.filter(
            owner=self.owner, list_key=self.spec.key, name=name
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(lists.DUPLICATE_NAME % {"name": name})
        return name


class SavedViewFormMixin(RestrictedViewMixin):
    model = SavedView
    form_class = SavedViewForm
    template_name = "crm/savedview_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "owner": self.owner, "spec": self.spec}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            spec=self.spec, list_url=self.spec.url(), **kwargs
        )

    def form_invalid(self, form):
        if self.request.htmx:
            return TemplateResponse(
                self.request, FORM_PARTIAL, self.get_context_data(form=form)
            )
        return super().form_invalid(form)

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        url = self.object.get_absolute_url()
        messages.success(self.request, self.success_message % {"name": self.object})
        if self.request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)


class SavedViewCreateView(SavedViewFormMixin, CreateView):
    """Save the list's current filters, sort, page size and columns by name.

    The query and columns come from the form (the list page fills them with
    what is on screen); both are cleaned, never trusted."""

    def dispatch(self, request, *args, **kwargs):
        self.spec = list_for(request.user, kwargs["list_key"])
        self.owner = request.user
        return super().dispatch(request, *args, **kwargs)

    @property
    def success_message(self):
        return _("View “%(name)s” saved.")

    def list_params(self):
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        return data.get("query", ""), lists.column_keys(data.get("columns", ""))

    def get_context_data(self, **kwargs):
        query, columns = self.list_params()
        return super().get_context_data(
            view_query=query, view_columns=",".join(columns), **kwargs
        )

    def save(self, form):
        query, columns = self.list_params()
        return lists.saved_view_create(
            owner=self.owner,
            spec=self.spec,
            name=form.cleaned_data["name"],
            query=query,
            columns=columns,
            shared=form.cleaned_data["shared"],
        )


class SavedViewUpdateView(SavedViewFormMixin, UpdateView):
    """Rename a view, or share it with the team or stop sharing it."""

    permission_action = "change"

    def get_object(self, queryset=None):
        view = super().get_object(queryset)
        self.spec = list_for(self.request.user, view.list_key)
        self.owner = view.owner
        return view

    @property
    def success_message(self):
        return _("View “%(name)s” saved.")

    def save(self, form):
        return lists.saved_view_update(
            view=self.object,
            name=form.cleaned_data["name"],
            shared=form.cleaned_data["shared"],
        )


class SavedViewDeleteView(RestrictedViewMixin, DeleteView):
    model = SavedView
    permission_action = "delete"
    template_name = "crm/savedview_confirm_delete.html"

    def get_object(self, queryset=None):
        view = super().get_object(queryset)
        self.spec = list_for(self.request.user, view.list_key)
        return view

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            spec=self.spec, list_url=self.spec.url(), **kwargs
        )

    def form_valid(self, form):
        lists.saved_view_delete(view=self.object)
        messages.success(
            self.request, _("View “%(name)s” deleted.") % {"name": self.object}
        )
        return HttpResponseRedirect(self.spec.url())


def custom_cell(column, custom: dict):
    """(text, flagged) of a custom column's cell; None for other columns."""
    if not column.is_custom:
        return None
    return customfields.cell(column.field, custom.get(column.field.key))


class ShapedListMixin:
    """A record list users shape (`crm.lists`), on a django-filter FilterView.

    Set `list_spec`. The mixin pages with the user's page size, answers the
    filter bar's htmx requests with the template's `results` partial (and puts
    the filters in use, not every empty input, in the address bar), gives each
    row its `cells` for the chosen columns, and adds to the context what
    `includes/list_*.html` need. `not_filters` are the inputs that do not count
    as active filters on a phone's "筛选" button."""

    list_spec: lists.ListSpec
    paginator_class = CappedPaginator
    not_filters = ("q", "ordering")

    def get_paginate_by(self, queryset):
        return page_size(self.request.GET.get("per_page"))

    def is_results_request(self) -> bool:
        """An htmx request from the filter bar: it gets the results partial.

        htmx restoring a page it has no snapshot of asks for the whole page."""
        htmx = self.request.htmx
        return bool(htmx and not htmx.boosted and not htmx.history_restore_request)

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.is_results_request():
            push_url(response, self.page_url)
        return response

    def get_template_names(self):
        if self.is_results_request():
            return [f"{self.template_name}#results"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        spec = self.list_spec
        shaped = lists.list_state(self.request, spec, self.filterset.custom_fields)
        layout = [(c, False) for c in shaped.columns]
        layout += [(c, True) for c in shaped.card_extras]
        for row in ctx["object_list"]:
            custom = row.custom or {}
            row.cells = [
                (col, card_only, custom_cell(col, custom)) for col, card_only in layout
            ]
        page_query = QueryDict(shaped.query, mutable=True)
        if shaped.override:
            page_query[lists.COLUMNS_PARAM] = shaped.override
        if shaped.active_view:
            page_query[lists.VIEW_PARAM] = str(shaped.active_view.pk)
        page_query = page_query.urlencode()
        self.page_url = spec.url() + (f"?{page_query}" if page_query else "")
        get = self.request.GET
        ctx.update(
            list_state=shaped,
            columns=shaped.columns,
            savedview_form=SavedViewForm(owner=self.request.user, spec=spec),
            view_columns=",".join(c.key for c in shaped.columns),
            active_filters=sum(
                1
                for name in self.filterset.form.fields
                if name not in self.not_filters and get.get(name)
            ),
            query_string=page_query,
            filter_query=shaped.query,
            results_oob=self.is_results_request(),
            current_ordering=get.get("ordering", ""),
            page_sizes=settings.CRM_PAGE_SIZES,
            per_page=self.get_paginate_by(None),
        )
        return ctx
