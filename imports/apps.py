from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Importing is the administrator's (DESIGN §4): `add_importjob` is "may
# import", `view_importjob` opens the import history. Applied by the migration
# imports/0002 (a test checks the roles hold exactly these).
ROLE_GRANTS = {
    "管理员": ["imports.add_importjob", "imports.view_importjob"],
}


def may_view_imports(user) -> bool:
    from crm import permissions

    from .models import ImportJob

    return permissions.has_model_perm(user, ImportJob, "view")


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Import and export")

    def ready(self):
        from crm.registry import NavItem, registry

        registry.add_role_grants("imports", ROLE_GRANTS)
        registry.add_urls("imports/", "imports.urls")
        registry.add_nav(
            NavItem(
                "imports:import_list",
                _("Import"),
                80,
                visible=may_view_imports,
                sections=("imports",),
            )
        )
