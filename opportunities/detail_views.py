"""Detail, create, edit, lose, payments, trash (placeholder until the detail helper fills it)."""

from django.views.generic import View


class OpportunityCreateView(View):
    pass


class OpportunityTrashView(View):
    pass


class OpportunityRestoreView(View):
    pass


class OpportunityDetailView(View):
    pass


class OpportunityUpdateView(View):
    pass


class OpportunityDeleteView(View):
    pass


class OpportunityLoseView(View):
    pass


class PaymentAddView(View):
    pass


class PaymentDeleteView(View):
    pass
