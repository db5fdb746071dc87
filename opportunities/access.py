"""Whether a role has the opportunity column of DESIGN §4 at all.

Pages that list deals (the list, the board, the forecast) answer 403 to a
role without it (customer service), and the navigation hides them; which
deals a user sees is still `Opportunity.objects.for_user()` alone.
"""

from crm import permissions
from customers.models import Customer

from .models import Opportunity


def may_use(user) -> bool:
    """Sales roles (all deals or their own), and customer success (their
    customers' deals, read-only)."""
    return (
        permissions.has_model_perm(user, Opportunity, "view")
        or permissions.has_model_perm(user, Opportunity, "add")
        or permissions.has_model_perm(user, Customer, "manage_success")
    )
