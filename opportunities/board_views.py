"""The kanban board and the stage move (placeholder until the board helper fills it)."""

from django.views.generic import View


class BoardView(View):
    pass


class BoardColumnView(View):
    pass


class OpportunityMoveView(View):
    pass
