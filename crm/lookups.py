"""`custom__<key>__has_element=value`: a JSON array holds value (SQLite and PG).

Django's `contains` on JSON is PostgreSQL-only; multiple-choice custom fields
need the same filter on the embedded SQLite default.
"""

import json

from django.db.models import Lookup
from django.db.models.fields.json import KeyTransform


@KeyTransform.register_lookup
class HasElement(Lookup):
    lookup_name = "has_element"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) AS e WHERE e.value = %s)",
            (*params, str(self.rhs)),
        )

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"({lhs} @> %s::jsonb)", (*params, json.dumps([self.rhs]))
