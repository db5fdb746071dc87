"""Trigram indexes for the search boxes, as a migration step (PostgreSQL only).

`icontains` compiles to UPPER(col::text) LIKE UPPER('%…%'), which a B-tree
cannot serve; a pg_trgm GIN index on the same expression can, CJK included.
SQLite has no equivalent and keeps scanning (fine at its 100,000-row scale).
"""

from django.db import migrations


def trigram_indexes(indexes: list[tuple[str, str, str]]) -> migrations.RunPython:
    """Create (and on reverse drop) a GIN trigram index per (name, table,
    expression); nothing on other databases."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, expression in indexes:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                f"USING gin ({expression} gin_trgm_ops)"
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _table, _expression in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(forwards, backwards)
