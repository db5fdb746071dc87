"""The opportunity list (placeholder until the list helper fills it)."""

from django.views.generic import View


class OpportunityListView(View):
    pass
