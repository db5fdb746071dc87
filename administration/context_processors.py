from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext


def company(request):
    """`company_name` for page titles and the brand: the company's own name
    once an administrator set one, else the product's. Read only when a
    template shows it, and cached between requests (see `cached_name`)."""

    def name():
        from .models import CompanySettings

        return CompanySettings.cached_name() or gettext("CRM")

    return {"company_name": SimpleLazyObject(name)}
