"""Trigram indexes behind the follow-up and ticket search boxes, on PostgreSQL.

Both searches are `icontains` (UPPER(col::text) LIKE UPPER('%…%')), which a
B-tree cannot serve; pg_trgm GIN indexes on the same expressions can, CJK
included (customers/0003 does the same for the customer search). At 3,000,000
follow-ups a search would otherwise read every row. SQLite keeps scanning.
"""

from django.db import migrations

from crm.pg_indexes import trigram_indexes

INDEXES = [
    ("followup_content_trgm", "followups_followup", "(UPPER(content::text))"),
    ("followup_feedback_trgm", "followups_followup", "(UPPER(feedback::text))"),
    ("ticket_subject_trgm", "followups_ticket", "(UPPER(subject::text))"),
    ("ticket_description_trgm", "followups_ticket", "(UPPER(description::text))"),
]


class Migration(migrations.Migration):
    dependencies = [("followups", "0003_calendar_token_and_next_at_index")]

    operations = [trigram_indexes(INDEXES)]
