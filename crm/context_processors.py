from django.urls import reverse

from . import roles
from .registry import registry


def navigation(request):
    """The main navigation each app registered, and the signed-in user's role."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = registry.nav_for(user)
    names = {item.url_name for item in items}

    def active(name):
        # A module's list entry stays highlighted on its detail and edit pages.
        if current == name:
            return True
        module = name.split(":")[0] + ":"
        return (
            name.endswith("_list")
            and current.startswith(module)
            and (current not in names)
        )

    return {
        "nav_items": [
            {"url": reverse(i.url_name), "label": i.label, "active": active(i.url_name)}
            for i in items
        ],
        "user_role": roles.role_label(user),
    }
