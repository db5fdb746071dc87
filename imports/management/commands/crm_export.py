"""Export every record of a module the user may view to a file.

    manage.py crm_export customers --user admin --format xlsx --output c.xlsx

The same columns and bytes as 'Export this view' on the module's list
without filters; the user's visibility applies (`for_user`), a user without
the module's export permission is refused, and the export is logged.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm import history, permissions
from crm.models import SecurityEvent
from imports import exporting


class Command(BaseCommand):
    help = "Export a module's records (those the user may view) as .xlsx or .csv."

    def add_arguments(self, parser):
        parser.add_argument("module", help="customers, followups, tickets, …")
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--format", choices=exporting.FORMATS, default="xlsx")
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, module, user, format, output, **options):
        found = exporting.exporters()
        exporter = found.get(module)
        if exporter is None:
            raise CommandError(f"unknown module {module!r}; one of: {', '.join(found)}")
        reader = get_user_model().objects.filter(username=user).first()
        if reader is None:
            raise CommandError(f"no user {user!r}")
        model = exporter.permission_model or exporter.model
        if not permissions.has_model_perm(reader, model, "export"):
            raise CommandError(f"{user} may not export {module}")
        queryset = exporter.model.objects.for_user(reader, "view")
        queryset = exporter.rows(queryset.order_by(*ordering(exporter.model)), reader)
        total = queryset.count()
        history.audit(
            reader,
            SecurityEvent.Kind.EXPORT,
            module,
            rows=total,
            query="",
            format=format,
            via="crm_export",
        )
        with open(output, "wb") as out:
            exporting.write_file(exporter.build(), queryset, format, out)
        self.stdout.write(f"{total} {module} → {output}")


def ordering(model) -> list[str]:
    """The model's own order, made total with the primary key."""
    order = list(model._meta.ordering or [])
    if "id" not in order and "-id" not in order:
        order.append("id")
    return order
