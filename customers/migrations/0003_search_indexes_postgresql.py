"""Trigram indexes behind the customer list's search box, on PostgreSQL only.

`icontains` compiles to UPPER(col::text) LIKE UPPER('%…%'), which a B-tree
cannot serve; pg_trgm GIN indexes on the same expressions can, CJK included.
SQLite has no equivalent and keeps scanning (fine at its 100,000-row scale).
"""

from django.db import migrations

from crm.pg_indexes import trigram_indexes

INDEXES = [
    ("customer_name_trgm", "customers_customer", "(UPPER(name::text))"),
    ("contact_name_trgm", "customers_contact", "(UPPER(name::text))"),
    ("contact_email_trgm", "customers_contact", "(UPPER(email::text))"),
    ("contact_phone_trgm", "customers_contact", "(phone::text)"),
]


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_reference_data")]

    operations = [trigram_indexes(INDEXES)]
