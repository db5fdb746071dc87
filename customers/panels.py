"""The customer module's workbench panels (registered in CustomersConfig.ready)."""

from django.conf import settings
from django.utils import timezone

from . import selectors
from .models import Customer


def my_customers(request) -> dict:
    user = request.user
    cap = settings.CRM_LIST_COUNT_CAP
    return {
        "status_counts": selectors.status_counts(selectors.owned_by(user), cap),
        "visible_count": selectors.capped_count(
            Customer.objects.for_user(user, "view"), cap
        ),
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
