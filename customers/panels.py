"""The customer module's workbench panels (registered in CustomersConfig.ready)."""

from django.conf import settings
from django.utils import timezone

from . import selectors
from .models import Customer


def my_customers(request) -> dict:
    user = request.user
    cap = settings.CRM_LIST_COUNT_CAP
    status_counts = selectors.status_counts(selectors.owned_by(user), cap)
    owned = sum(count for _value, _label, count in status_counts)
    if owned > cap:
        # A user sees every customer they own, so past the cap already: no
        # need to scan for the ones shared with them or that they look after.
        visible_count = owned
    else:
        visible_count = selectors.capped_count(
            Customer.objects.for_user(user, "view"), cap
        )
    return {
        "status_counts": status_counts,
        "visible_count": visible_count,
        "count_cap": cap,
        "recent": selectors.owned_by(user)
        .select_related("region")
        .order_by("-updated_at", "-id")[:8],
    }


def renewals(request) -> dict:
    today = timezone.localdate()
    window = settings.CRM_RENEWAL_WINDOW_DAYS
    due = selectors.renewals_due_for(
        request.user, start=today, end=today + timezone.timedelta(days=window)
    )
    return {"renewals": due[:10], "renewal_window": window}
