from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import permissions, roles


def navigation(request):
    """The main navigation and the signed-in user's role, for base.html."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from customers.models import Customer

    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = [
        ("crm:workbench", _("Workbench")),
        ("customers:customer_list", _("Customers")),
    ]
    if permissions.has_model_perm(user, Customer, "delete"):
        items.append(("customers:customer_trash", _("Trash")))
    names = {name for name, _label in items}

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
            {"url": reverse(name), "label": label, "active": active(name)}
            for name, label in items
        ],
        "user_role": roles.role_label(user),
        "show_admin_link": user.is_staff,
    }
