"""The company's own settings: one row, edited at /settings/company/."""

from django.core.cache import cache
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.features import TrackedModel, VersionedModel
from crm.querysets import RestrictedQuerySet

CACHE_KEY = "administration.company"
# Every page shows the company name; app servers keep it this long before
# reading it again (the server that saved it forgets it at once).
CACHE_SECONDS = 300


class CompanySettings(VersionedModel, TrackedModel):
    """The company using the CRM: its name (page titles, brand) and contact
    details. A singleton (pk 1); `load()` reads it, creating it when missing.

    Its `manage_settings` permission opens /settings/ (held by the
    administrator role, see `administration.apps.ROLE_GRANTS`)."""

    SINGLETON = 1

    name = models.CharField(
        _("company name"),
        max_length=60,
        blank=True,
        help_text=_("Shown in the page titles and the brand; empty: “CRM”."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    tracked_fields = ("name", "phone", "email", "website", "address")

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")
        permissions = [("manage_settings", _("Can manage the CRM settings"))]
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="companysettings_singleton")
        ]

    def __str__(self):
        return self.name or str(_("Company settings"))

    def save(self, **kwargs):
        self.pk = self.SINGLETON
        super().save(**kwargs)
        cache.delete(CACHE_KEY)

    def get_absolute_url(self):
        return reverse("administration:company_update")

    @classmethod
    def load(cls) -> "CompanySettings":
        company, _created = cls.objects.get_or_create(pk=cls.SINGLETON)
        return company

    @classmethod
    def cached_name(cls) -> str:
        """The company name as pages show it, shared between requests."""
        name = cache.get(CACHE_KEY)
        if name is None:
            name = (
                cls.objects.filter(pk=cls.SINGLETON)
                .values_list("name", flat=True)
                .first()
                or ""
            )
            cache.set(CACHE_KEY, name, CACHE_SECONDS)
        return name
