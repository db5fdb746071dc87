"""The kanban board (a column per stage of BOARD_STAGES) and the stage move.

Reads, whatever the number of deals: the columns' counts and amounts come
from one grouped aggregate over the filtered visible rows, and each column's
first page of cards from one query (six in all), keyset-paged on
(expected close date, id) so it rides the (stage, expected_close_date, id)
index; `BoardColumnView` serves the later pages of one column.

Writes: every move, dragged, keyed or posted from a card's or the deal page's
form, is `services.opportunity_move` with the version the card was drawn
with, so the stage flow's checks, the win bookkeeping and the stage history
all apply, and a card drawn before someone else's change is refused as stale.
htmx asks (board.js) get the re-drawn card and the column headers back (out
of band) with an `HX-Trigger` event `boardMove` {ok, message}; a refused move
also answers 403/404/409/422 so the script puts the card back. Plain posts
redirect back (to a safe `next`) with a message.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from crm import permissions
from crm.features import StaleEdit
from crm.views import RestrictedViewMixin

from . import access, services
from .filters import OpportunityFilterSet, stalled_since
from .models import BOARD_STAGES, Opportunity, Stage

PAGE_SIZE = 20
# Query parameters the board does not filter on: the column's cursor, and the
# list's sort and stage (the columns are the stages).
NOT_FILTERS = ("after", "page", "ordering", "stage")


def card_order():
    """Soonest expected close first, deals without a date last, then by id."""
    return (F("expected_close_date").asc(nulls_last=True), "id")


def cursor_of(card) -> str:
    """Where the next page of a column starts: after this card."""
    day = card.expected_close_date.isoformat() if card.expected_close_date else "-"
    return f"{day}_{card.pk}"


def after_q(cursor: str) -> Q | None:
    """The rows after `cursor` in `card_order()`; None for a cursor that does
    not parse (the column starts from the top)."""
    day_text, _sep, pk_text = (cursor or "").partition("_")
    if not pk_text.isdigit():
        return None
    pk = int(pk_text)
    if day_text == "-":
        return Q(expected_close_date__isnull=True, pk__gt=pk)
    try:
        day = parse_date(day_text)
    except ValueError:
        return None
    if day is None:
        return None
    return (
        Q(expected_close_date__gt=day)
        | Q(expected_close_date=day, pk__gt=pk)
        | Q(expected_close_date__isnull=True)
    )


def stage_label(stage: str) -> str:
    return str(Stage(stage).label)


class BoardRowsMixin:
    """What the board and the move share: the filtered visible rows, the
    column headers and the pages of cards."""

    model = Opportunity

    @cached_property
    def filterset(self):
        data = self.request.GET.copy()
        for name in NOT_FILTERS:
            data.pop(name, None)
        rows = Opportunity.objects.for_user(self.request.user, "view").filter(
            stage__in=BOARD_STAGES
        )
        return OpportunityFilterSet(data or None, queryset=rows, request=self.request)

    @cached_property
    def filter_query(self) -> str:
        """The filters as a query string (for links that keep them)."""
        params = self.request.GET.copy()
        for name in NOT_FILTERS:
            params.pop(name, None)
        return params.urlencode()

    def rows(self):
        return self.filterset.qs

    def board_url(self) -> str:
        """Where a card's move form comes back to: the board, same filters."""
        url = reverse("opportunities:opportunity_board")
        return f"{url}?{self.filter_query}" if self.filter_query else url

    def heads(self) -> list[dict]:
        """Each column's stage, count and amount: one grouped query."""
        totals = {
            row["stage"]: row
            for row in self.rows()
            .order_by()
            .values("stage")
            .annotate(count=Count("pk"), amount=Sum("amount"))
        }
        return [
            {
                "stage": stage.value,
                "label": stage.label,
                "count": totals.get(stage.value, {}).get("count", 0),
                "amount": totals.get(stage.value, {}).get("amount") or 0,
            }
            for stage in BOARD_STAGES
        ]

    def cards(self, stage: str, cursor: str = "") -> tuple[list, str]:
        """A page of the column's cards and the cursor of the next page ("")."""
        rows = (
            self.rows()
            .filter(stage=stage)
            .with_list_data()
            .annotate_allowed(self.request.user, "change", "can_change")
            .order_by(*card_order())
        )
        after = after_q(cursor)
        if after is not None:
            rows = rows.filter(after)
        page = list(rows[: PAGE_SIZE + 1])
        more = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        mark_cards(page)
        return page, (cursor_of(page[-1]) if more else "")

    def more_url(self, stage: str, cursor: str) -> str:
        if not cursor:
            return ""
        params = self.request.GET.copy()
        for name in NOT_FILTERS:
            params.pop(name, None)
        params["after"] = cursor
        url = reverse("opportunities:board_column", args=[stage])
        return f"{url}?{params.urlencode()}"

    def card_context(self) -> dict:
        return {
            "stages": [(s.value, s.label) for s in BOARD_STAGES],
            "board_url": self.board_url(),
            "stalled_days": settings.CRM_STALLED_DAYS,
        }


def mark_cards(cards) -> None:
    """Flag the stalled ones (DESIGN §7), from columns the page already read."""
    since = stalled_since()
    for card in cards:
        card.stalled = card.is_open and card.last_activity_at < since


class BoardAccessMixin:
    """Roles without the opportunity column (customer service) get a 403."""

    def dispatch(self, request, *args, **kwargs):
        if not access.may_use(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class BoardView(BoardAccessMixin, BoardRowsMixin, TemplateView):
    """`/opportunities/board/`: the columns with their first page of cards."""

    template_name = "opportunities/board.html"

    def get_context_data(self, **kwargs):
        columns = []
        for head in self.heads():
            cards, cursor = self.cards(head["stage"])
            columns.append(
                {
                    **head,
                    "cards": cards,
                    "more_url": self.more_url(head["stage"], cursor),
                }
            )
        form = self.filterset.form
        return super().get_context_data(
            filter=self.filterset,
            filter_fields=[f for f in form if f.name not in ("q", "ordering", "stage")],
            active_filters=sum(
                1
                for name, value in self.request.GET.lists()
                if name not in (*NOT_FILTERS, "q", "stage") and any(value)
            ),
            filter_query=self.filter_query,
            columns=columns,
            can_add=permissions.has_model_perm(self.request.user, Opportunity, "add"),
            **self.card_context(),
            **kwargs,
        )


class BoardColumnView(BoardAccessMixin, BoardRowsMixin, TemplateView):
    """`board/<stage>/?after=…&<filters>`: the next page of one column.

    htmx (the column's "load more", revealed or clicked) gets the cards and
    the next "load more"; without JS the link opens the column as a page."""

    template_name = "opportunities/board_column.html"

    def get(self, request, *args, **kwargs):
        if kwargs["stage"] not in BOARD_STAGES:
            raise Http404
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        if self.request.htmx:
            return ["opportunities/board_cards.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        stage = self.kwargs["stage"]
        cards, cursor = self.cards(stage, self.request.GET.get("after", ""))
        context = {
            "cards": cards,
            "more_url": self.more_url(stage, cursor),
            **self.card_context(),
        }
        if not self.request.htmx:
            head = next(h for h in self.heads() if h["stage"] == stage)
            context.update(column=head, filter_query=self.filter_query)
        return super().get_context_data(**context, **kwargs)


class OpportunityMoveView(BoardRowsMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """POST `stage` and `version`: move the deal (see the module docstring).

    The board's filters come in the query string, so the column headers sent
    back count what the board shows."""

    slug_field = slug_url_kwarg = "opp_no"
    permission_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            if request.htmx:
                return self.answer(
                    _("This deal no longer exists or is not yours to see."),
                    status=404,
                    ok=False,
                    card=False,
                )
            raise
        except PermissionDenied:
            if request.htmx:
                return self.answer(
                    _("You may look at this deal but not move it."),
                    status=403,
                    ok=False,
                    card=False,
                )
            raise
        deal = self.object
        stage = request.POST.get("stage", "")
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            return self.refused(
                _("That move was not understood; reload the page and try again."),
                status=422,
            )
        try:
            moved = services.opportunity_move(
                actor=request.user,
                opportunity=deal,
                stage=stage,
                expected_version=version,
            )
        except StaleEdit:
            return self.refused(
                _(
                    "Someone changed %(name)s while you were looking at it, so it "
                    "was not moved. It is shown as it is now; try again."
                )
                % {"name": deal.name},
                status=409,
            )
        except ValidationError as exc:
            return self.refused(" ".join(exc.messages), status=422)
        except PermissionDenied:
            return self.refused(
                _("You may look at this deal but not move it."), status=403
            )
        self.object = moved
        message = _("%(name)s moved to “%(stage)s”.") % {
            "name": moved.name,
            "stage": moved.get_stage_display(),
        }
        if request.htmx:
            return self.answer(message)
        messages.success(request, message)
        return self.back()

    def refused(self, message: str, status: int):
        if self.request.htmx:
            return self.answer(message, status=status, ok=False)
        messages.error(self.request, message)
        return self.back()

    def back(self):
        return HttpResponseRedirect(self.safe_next() or self.object.get_absolute_url())

    def answer(self, message: str, status: int = 200, ok: bool = True, card=True):
        """The board's answer: the deal's card as it is now (unless hidden)
        and the column headers out of band, plus the `boardMove` event."""
        body = ""
        if card:
            current = (
                Opportunity.objects.for_user(self.request.user, "view")
                .with_list_data()
                .annotate_allowed(self.request.user, "change", "can_change")
                .filter(pk=self.object.pk)
                .first()
            )
            cards = [current] if current is not None else []
            mark_cards(cards)
            body = render_to_string(
                "opportunities/board_moved.html",
                {
                    "cards": cards,
                    "heads": self.heads(),
                    **self.card_context(),
                },
                request=self.request,
            )
        response = HttpResponse(body, status=status)
        response["HX-Trigger"] = json.dumps(
            {"boardMove": {"ok": ok, "message": str(message)}}
        )
        # htmx itself (were a form to post here with hx-post) swaps nothing:
        # board.js places the parts.
        response["HX-Reswap"] = "none"
        return response

    def safe_next(self) -> str:
        """The posted `next` if it is a path on this site, else ""."""
        target = self.request.POST.get("next", "")
        if target.startswith("/") and url_has_allowed_host_and_scheme(
            target,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return target
        return ""

    def board_url(self) -> str:
        return self.safe_next() or super().board_url()
