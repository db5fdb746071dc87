"""`custom__<key>__has_element=value`: a JSON array holds value (SQLite and PG).

Django's `contains` on JSON is PostgreSQL-only; multiple-choice custom fields
need the same filter on the embedded SQLite default.
"""

import json

from django.db.models import IntegerField, Lookup
from django.db.models.fields.json import KeyTransform
from django.db.models.lookups import In


@KeyTransform.register_lookup
class HasElement(Lookup):
    lookup_name = "has_element"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        # SQLite extracts a JSON string as bare text, which json_each() rejects
        # ("malformed JSON"): a value stored before the field became multiple
        # choice must simply not match.
        return (
            f"EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({lhs}) "
            f"THEN {lhs} END) AS e WHERE e.value = %s)",
            (*params, *params, str(self.rhs)),
        )

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"({lhs} @> %s::jsonb)", (*params, json.dumps([self.rhs]))


@IntegerField.register_lookup
class IntegerFieldIn(In):
    """`pk__in` that drops ids the column cannot hold, as Django's `exact` does.

    Django guards `exact`/`gt`/`lt` against out-of-range integers (#27397) but
    not `in`, which every ModelMultipleChoiceField (forms and filters) uses: on
    SQLite `99999999999999999999` raised OverflowError, a 500, and on
    PostgreSQL it turned an indexed lookup into a numeric comparison scan.
    Such an id matches no row, so it simply becomes the form's "invalid
    choice" error.
    """

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [
                v
                for v in self.rhs
                if not isinstance(v, int)
                or ((low is None or v >= low) and (high is None or v <= high))
            ]
        return super().process_rhs(compiler, connection)
