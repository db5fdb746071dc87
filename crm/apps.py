from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Django 6.1's blank-choice label; Django's own zh_Hans catalog lacks it yet,
# so our catalog carries the translation.
gettext_noop("- Select an option -")


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM core")

    def ready(self):
        from . import lookups  # noqa: F401  (registers the project's lookups)
        from .registry import NavItem, registry
        from .roles import CORE_GRANTS

        registry.add_nav(NavItem("crm:workbench", _("Workbench"), 10))
        registry.add_role_grants("crm", CORE_GRANTS)
