"""A trigram index behind the opportunity search box, on PostgreSQL.

The search matches the deal's name with `icontains` (UPPER(name::text) LIKE
UPPER('%…%')), which a B-tree cannot serve; a pg_trgm GIN index on the same
expression can, CJK included (customers/0003 does the same for the customer's
name, which the search also matches). SQLite keeps scanning.
"""

from django.db import migrations

from crm.pg_indexes import trigram_indexes

INDEXES = [
    ("opportunity_name_trgm", "opportunities_opportunity", "(UPPER(name::text))"),
]


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0003_export_permissions")]

    operations = [trigram_indexes(INDEXES)]
