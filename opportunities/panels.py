"""The opportunity module's workbench panels and its card on a customer's page
(registered in OpportunitiesConfig.ready). Each reads a bounded number of
queries whatever the number of deals (`selectors`)."""

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

from crm import permissions

from . import access, selectors
from .filters import OPEN
from .models import Opportunity

FORECAST_PANEL_MONTHS = 3
LIST = "opportunities:opportunity_list"


def mine(request) -> dict | None:
    """My open deals, soonest expected close first, stalled ones flagged;
    for whoever may take on deals. Team leads (view on every deal) without
    deals of their own get the forecast instead of an empty panel."""
    user = request.user
    if not permissions.has_model_perm(user, Opportunity, "add"):
        return None
    rows, summary = selectors.my_open(user)
    if not rows and permissions.has_model_perm(user, Opportunity, "view"):
        return None
    url = reverse(LIST) + "?" + urlencode({"owner": user.pk, "stage": OPEN})
    return {
        "rows": rows,
        "totals": summary,
        "more": summary.count > len(rows),
        "list_url": url,
        "stalled_url": url + "&stalled=true",
        "stalled_days": settings.CRM_STALLED_DAYS,
    }


def forecast(request) -> dict | None:
    """The team's open pipeline for the next months by owner, for roles that
    see every deal (managers, admins)."""
    user = request.user
    if not permissions.has_model_perm(user, Opportunity, "view"):
        return None
    rows = Opportunity.objects.for_user(user, "view")
    return {
        "forecast": selectors.forecast(rows, user, months=FORECAST_PANEL_MONTHS),
        "list_url": reverse(LIST) + "?" + urlencode({"stage": OPEN}),
    }


def customer_opportunities(request, customer) -> dict | None:
    """The customer page's "销售机会" card: the deals the user may see,
    newest first; none for roles without opportunities (customer service)."""
    user = request.user
    if not access.may_use(user):
        return None
    rows, more = selectors.customer_deals(user, customer)
    return {
        "customer": customer,
        "rows": rows,
        "more": more,
        "can_add": permissions.has_model_perm(user, Opportunity, "add"),
    }
