"""Workbench panels and the customer page's card (placeholder until the list helper fills it)."""


def mine(request):
    return None


def forecast(request):
    return None


def customer_opportunities(request, customer):
    return None


def nav_visible(user) -> bool:
    from crm import permissions
    from customers.models import Customer

    from .models import Opportunity

    return (
        permissions.has_model_perm(user, Opportunity, "view")
        or permissions.has_model_perm(user, Opportunity, "add")
        or permissions.has_model_perm(user, Customer, "manage_success")
    )
