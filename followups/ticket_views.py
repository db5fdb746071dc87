"""Ticket pages; every queryset comes from Ticket.objects.for_user()."""

import copy

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, UpdateView
from django.views.generic.edit import FormMixin
from django_filters.views import FilterView

from crm import customfields, history, permissions
from crm.features import StaleEdit
from crm.list_views import ShapedListMixin
from crm.views import RecordActionView, RestrictedViewMixin, StaleEditMixin
from customers.models import Customer
from customers.selectors import capped_count

from . import ticket_services as services
from .models import Ticket
from .ticket_filters import DEFAULT_TAB, TABS, TicketFilterSet, tab_rows
from .ticket_forms import (
    AssignForm,
    CommentForm,
    TicketCreateForm,
    TicketForm,
    TransitionForm,
)
from .ticket_lists import TICKET_LIST

# History changes the timeline shows beside the comments.
TIMELINE_FIELDS = ("status", "assignee", "priority")


class TicketListView(ShapedListMixin, RestrictedViewMixin, FilterView):
    """The queue: tabs (mine, unassigned, overdue, all), filters, search, sort."""

    model = Ticket
    filterset_class = TicketFilterSet
    list_spec = TICKET_LIST
    not_filters = ("q", "ordering", "tab")
    template_name = "tickets/ticket_list.html"

    def get_queryset(self):
        return super().get_queryset().with_list_data()

    def tabs(self, current: str, query: QueryDict) -> list[dict]:
        """Each tab with its link and its capped count, the other filters kept
        (a count says what the tab would list)."""
        user, cap = self.request.user, settings.CRM_LIST_COUNT_CAP
        filtered = self.filterset.without_tab()
        now = timezone.now()
        result = []
        for key, label in TABS:
            params = query.copy()
            params.pop("page", None)
            params["tab"] = key
            count = None
            if key != "all" and filtered is not None:
                count = capped_count(tab_rows(filtered, key, user, now), cap)
            result.append(
                {
                    "key": key,
                    "label": label,
                    "url": f"?{params.urlencode()}",
                    "count": count,
                    "active": key == current,
                }
            )
        return result

    def get_context_data(self, **kwargs):
        user = self.request.user
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        for ticket in ctx["object_list"]:
            ticket.overdue = ticket.is_open and ticket.due_at < now
        current_tab = self.filterset.current_tab
        ctx.update(
            tabs=self.tabs(current_tab, QueryDict(ctx["filter_query"])),
            current_tab=current_tab,
            default_tab=DEFAULT_TAB,
            can_add=permissions.has_model_perm(user, Ticket, "add"),
            can_export=permissions.has_model_perm(user, Ticket, "export"),
        )
        return ctx


def timeline(ticket: Ticket, entries) -> list[dict]:
    """Comments and status/assignee/priority changes, oldest first.

    `entries` are the ticket's history entries (already read for the page):
    the timeline shows copies cut down to the changes it is about."""
    items = [
        {"kind": "comment", "at": c.created_at, "actor": c.author, "comment": c}
        for c in ticket.comments.select_related("author")
    ]
    events = []
    for entry in entries:
        changes = [c for c in entry.changes if c["field"] in TIMELINE_FIELDS]
        if entry.action == "create" or changes:
            event = copy.copy(entry)
            event.changes = changes
            events.append(event)
    for event in history.present(events, Ticket):
        items.append(
            {"kind": "event", "at": event.at, "actor": event.actor, "entry": event}
        )
    return sorted(items, key=lambda item: item["at"])


def detail_queryset(user):
    """The ticket with what its page shows, and the user's flags, in one query."""
    customers = Customer.objects.for_user(user, "view").filter(
        pk=OuterRef("customer_id")
    )
    rows = (
        Ticket.objects.for_user(user, "view")
        .select_related("customer", "contact", "assignee", "created_by")
        .annotate(customer_visible=Exists(customers))
    )
    for action in ("change", "comment"):
        rows = rows.annotate_allowed(user, action, f"can_{action}")
    return rows


def detail_context(request, ticket: Ticket, **forms) -> dict:
    """What the ticket's page shows; the action views re-render it with their
    bound form when the input needs correcting."""
    entries = list(history.entries_for(ticket)[:200])
    steps = services.transitions_from(ticket.status) if ticket.can_change else []
    version = {"version": ticket.version}
    resolve = forms.get("resolve_form") or TransitionForm(
        initial={**version, "action": "resolve", "resolution": ticket.resolution},
        auto_id="resolve-%s",
    )
    close = forms.get("close_form") or TransitionForm(
        initial={**version, "action": "close"}, auto_id="close-%s"
    )
    return {
        "ticket": ticket,
        "object": ticket,
        "overdue": ticket.is_overdue,
        "custom_values": customfields.detail_values(ticket),
        "timeline": timeline(ticket, entries),
        "history_entries": history.present(entries[:50], Ticket),
        "can_change": ticket.can_change,
        "can_comment": ticket.can_comment,
        # Plain buttons; resolving and closing open their own small forms.
        "steps": [s for s in steps if s.action not in ("resolve", "close")],
        "can_resolve": any(s.action == "resolve" for s in steps),
        "can_close": any(s.action == "close" for s in steps),
        "resolve_form": resolve,
        "close_form": close,
        "assign_form": forms.get("assign_form")
        or AssignForm(initial={**version, "assignee": ticket.assignee_id}),
        "comment_form": forms.get("comment_form") or CommentForm(),
    }


class TicketDetailView(RestrictedViewMixin, DetailView):
    model = Ticket
    slug_field = slug_url_kwarg = "ticket_no"
    template_name = "tickets/ticket_detail.html"

    def get_queryset(self):
        return detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **detail_context(self.request, self.object),
        }


class TicketActionView(RecordActionView):
    """A POST on a ticket from its page."""

    model = Ticket
    slug_field = slug_url_kwarg = "ticket_no"
    template_name = "tickets/ticket_detail.html"
    stale_message = gettext_lazy(
        "Someone changed this ticket while you were looking at it, so "
        "nothing was saved. This is the ticket as it is now; try again."
    )

    def get_queryset(self):
        return detail_queryset(self.request.user)

    def page_context(self, **forms) -> dict:
        return detail_context(self.request, self.object, **forms)


class TicketTransitionView(TicketActionView):
    """One step of the status flow (`ticket_services.TRANSITIONS`)."""

    def act(self, ticket):
        action = self.request.POST.get("action", "")
        try:
            # Before the form: a step the status does not allow (a page
            # left open, a forged post) is refused whatever else was sent.
            services.check_transition(ticket, action)
        except ValidationError as exc:
            messages.error(self.request, exc.messages[0])
            return self.back()
        forms_key = {"resolve": "resolve_form", "close": "close_form"}.get(action)
        form = TransitionForm(
            self.request.POST, auto_id=f"{action}-%s" if forms_key else "step-%s"
        )
        if not form.is_valid():
            if forms_key and "action" not in form.errors:
                return self.again(**{forms_key: form})
            messages.error(self.request, _("That status change was not understood."))
            return self.back()
        data = form.cleaned_data
        try:
            updated = services.ticket_transition(
                actor=self.request.user,
                ticket=ticket,
                action=data["action"],
                expected_version=data["version"],
                resolution=data["resolution"],
                satisfaction=form.satisfaction_value(),
            )
        except StaleEdit:
            return self.stale()
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and forms_key:
                form.add_error(None, exc)
                return self.again(**{forms_key: form})
            for text in exc.messages:
                messages.error(self.request, text)
            return self.back()
        messages.success(
            self.request,
            _("Ticket %(no)s is now “%(status)s”.")
            % {"no": updated.ticket_no, "status": updated.get_status_display()},
        )
        return self.back()


class TicketAssignView(TicketActionView):
    def act(self, ticket):
        form = AssignForm(self.request.POST)
        if not form.is_valid():
            return self.again(assign_form=form)
        try:
            updated = services.ticket_assign(
                actor=self.request.user,
                ticket=ticket,
                assignee=form.cleaned_data["assignee"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleEdit:
            return self.stale()
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.again(assign_form=form)
        if updated.assignee is None:
            messages.success(self.request, _("The ticket is unassigned now."))
        else:
            messages.success(
                self.request,
                _("Assigned to %(user)s.")
                % {"user": updated.assignee.get_full_name() or updated.assignee},
            )
        return self.back()


class TicketCommentView(TicketActionView):
    """Add a comment; htmx gets the timeline back in place, a plain post the page."""

    permission_action = "comment"

    def act(self, ticket):
        form = CommentForm(self.request.POST)
        partial = f"{self.template_name}#timeline" if self.request.htmx else None
        if form.is_valid():
            try:
                services.ticket_comment(
                    actor=self.request.user,
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if partial:
                    return self.again(partial)
                messages.success(self.request, _("Comment added."))
                return self.back("#timeline")
        return self.again(partial, comment_form=form)


class TicketFormMixin:
    model = Ticket
    template_name = "tickets/ticket_form.html"

    def get_form(self, form_class=None):
        # The contact choices are the ticket's customer's contacts (the form
        # restricts them): an assignee pulled in from another department may
        # not see the customer itself, yet works this ticket's contact.
        return FormMixin.get_form(self, form_class)


class TicketCreateView(TicketFormMixin, RestrictedViewMixin, FormView):
    """`/tickets/new/?customer=<customer_no>`: opened from the customer's page."""

    model_permission = "add"
    object = None

    @cached_property
    def customer(self):
        """The customer the form is for (the query string's, or the posted one)."""
        number = (
            (
                self.request.POST.get("customer")
                or self.request.GET.get("customer")
                or ""
            )
            .strip()
            .upper()
        )
        if not number:
            return None
        found = Customer.objects.for_user(self.request.user, "view").filter(
            customer_no=number
        )
        customer = found.first()
        if customer is None and self.request.method == "GET":
            raise Http404
        return customer

    def get_form_class(self):
        return TicketCreateForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "customer": self.customer,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.customer, **kwargs)

    def form_valid(self, form):
        try:
            ticket = self.save_restricted(
                lambda: services.ticket_open(
                    actor=self.request.user,
                    customer=form.cleaned_data["customer"],
                    data=form.service_data(),
                    assignee=form.cleaned_data["assignee"],
                )
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Ticket %(no)s opened.") % {"no": ticket})
        return HttpResponseRedirect(ticket.get_absolute_url())


class TicketUpdateView(
    TicketFormMixin, StaleEditMixin, RestrictedViewMixin, UpdateView
):
    permission_action = "change"
    form_class = TicketForm
    slug_field = slug_url_kwarg = "ticket_no"

    @property
    def success_message(self):
        return _("Ticket %(name)s saved.")

    def get_queryset(self):
        return super().get_queryset().select_related("customer")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "customer": self.object.customer}

    def save_form(self, form, formsets):
        return self.save_restricted(
            lambda: services.ticket_update(
                actor=self.request.user,
                ticket=self.object,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"] or 0,
            )
        )
