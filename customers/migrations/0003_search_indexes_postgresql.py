"""Trigram indexes behind the customer list's search box, on PostgreSQL only.

`icontains` compiles to UPPER(col::text) LIKE UPPER('%…%'), which a B-tree
cannot serve; pg_trgm GIN indexes on the same expressions can, CJK included.
SQLite has no equivalent and keeps scanning (fine at its 100,000-row scale).
"""

from django.db import migrations

INDEXES = [
    ("customer_name_trgm", "customers_customer", "(UPPER(name::text)) gin_trgm_ops"),
    ("contact_name_trgm", "customers_contact", "(UPPER(name::text)) gin_trgm_ops"),
    ("contact_email_trgm", "customers_contact", "(UPPER(email::text)) gin_trgm_ops"),
    ("contact_phone_trgm", "customers_contact", "(phone::text) gin_trgm_ops"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_reference_data")]

    operations = [migrations.RunPython(forwards, backwards)]
