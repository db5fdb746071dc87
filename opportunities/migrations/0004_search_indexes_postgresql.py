"""A trigram index behind the opportunity search box, on PostgreSQL.

The search matches the deal's name with `icontains` (UPPER(name::text) LIKE
UPPER('%…%')), which a B-tree cannot serve; a pg_trgm GIN index on the same
expression can, CJK included (customers/0003 does the same for the customer's
name, which the search also matches). SQLite keeps scanning.
"""

from django.db import migrations

INDEXES = [
    ("opportunity_name_trgm", "opportunities_opportunity", "(UPPER(name::text))"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ({expression} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0003_export_permissions")]

    operations = [migrations.RunPython(forwards, backwards)]
