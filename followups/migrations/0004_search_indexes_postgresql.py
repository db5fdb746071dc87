"""Trigram indexes behind the follow-up and ticket search boxes, on PostgreSQL.

Both searches are `icontains` (UPPER(col::text) LIKE UPPER('%…%')), which a
B-tree cannot serve; pg_trgm GIN indexes on the same expressions can, CJK
included (customers/0003 does the same for the customer search). At 3,000,000
follow-ups a search would otherwise read every row. SQLite keeps scanning.
"""

from django.db import migrations

INDEXES = [
    ("followup_content_trgm", "followups_followup", "(UPPER(content::text))"),
    ("followup_feedback_trgm", "followups_followup", "(UPPER(feedback::text))"),
    ("ticket_subject_trgm", "followups_ticket", "(UPPER(subject::text))"),
    ("ticket_description_trgm", "followups_ticket", "(UPPER(description::text))"),
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
    dependencies = [("followups", "0003_calendar_token_and_next_at_index")]

    operations = [migrations.RunPython(forwards, backwards)]
