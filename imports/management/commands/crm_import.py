"""Import a spreadsheet from the command line, as the wizard does:
`manage.py crm_import customers file.xlsx --user admin [--dry-run]`.

Headers are mapped automatically; a column the command cannot place is
refused (it may be a misspelt header whose data would be lost) unless
`--ignore-unknown` says to leave it out. Every error is printed with its row
and column, and with any error nothing is written (exit code 1)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from crm.registry import registry
from imports.engine import run_import
from imports.mapping import auto_map
from imports.reading import FileRefused, read_table


class Command(BaseCommand):
    help = "Import customers, contacts, follow-ups… from an .xlsx or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("module", help="What the file holds, e.g. customers")
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="Who imports (username)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, write nothing"
        )
        parser.add_argument(
            "--ignore-unknown",
            action="store_true",
            help="Leave out columns whose header matches no field",
        )

    def handle(self, *args, module, file, user, dry_run, ignore_unknown, **options):
        translation.activate("zh-hans")
        spec = registry.importers.get(module)
        if spec is None:
            known = ", ".join(sorted(registry.importers))
            raise CommandError(f"Unknown module {module!r}; one of: {known}")
        try:
            actor = get_user_model().objects.get(username=user, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No active user {user!r}") from exc
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        try:
            table = read_table(data, filename=file.name)
        except FileRefused as exc:
            raise CommandError(exc.message) from exc
        mapping = auto_map(spec, table.headers)
        ignored = [table.headers[i] for i, key in mapping.items() if key is None]
        if ignored and not ignore_unknown:
            raise CommandError(
                f"未知的列: {', '.join(ignored)}（列名有误？用 --ignore-unknown "
                "跳过这些列）; nothing was written.",
                returncode=1,
            )
        if ignored:
            self.stdout.write(f"忽略的列: {', '.join(ignored)}")
        try:
            result = run_import(spec, table, mapping, user=actor, dry_run=dry_run)
        except PermissionDenied as exc:
            raise CommandError(f"{user} may not import {module}") from exc
        self.stdout.write(
            f"rows {result.rows}, new {result.new}, updated {result.updated}, "
            f"unchanged {result.unchanged}, errors {len(result.errors)}"
            + (" (dry run, nothing written)" if dry_run else "")
        )
        for note in result.notes:
            self.stdout.write(f"第 {note.row} 行: {note.message}")
        for error in result.errors:
            self.stderr.write(f"第 {error.row} 行 [{error.column}]: {error.message}")
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} errors; nothing was written.", returncode=1
            )
