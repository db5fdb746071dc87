from django.urls import reverse

from . import roles
from .registry import registry


def badge_id(url_name: str) -> str:
    """The HTML id of a navigation entry's count ("followups:agenda" → …)."""
    return "badge-" + url_name.replace(":", "-").replace("_", "-")


def navigation(request):
    """The main navigation each app registered, and the signed-in user's role."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = registry.nav_for(user)
    names = {item.url_name for item in items}

    namespace = match.namespace if match else ""

    def active(item):
        # A module's entry stays highlighted on the pages of its sections
        # (the list on a customer's detail and edit pages), unless another
        # entry names the page itself.
        if current == item.url_name:
            return True
        return namespace in item.sections and current not in names

    return {
        "nav_items": [
            {
                "url": reverse(i.url_name),
                "label": i.label,
                "active": active(i),
                # A count filled in after the page by crm:nav_badges.
                "badge_id": badge_id(i.url_name) if i.badge else "",
            }
            for i in items
        ],
        "user_role": roles.role_label(user),
    }
