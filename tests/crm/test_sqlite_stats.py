"""The migration step that refreshes SQLite's planner statistics after an
index is added (crm/sqlite_stats.py)."""

import pytest
from django.apps import apps
from django.db import connection

from crm.sqlite_stats import analyze
from tests.factories import make_customer, make_followup

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite's statistics only"
    ),
]


class Editor:
    """What the step uses of a schema editor (the real one cannot be opened
    inside the test's transaction on SQLite)."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def run(step) -> None:
    step.code(apps, Editor())


def stats_of(index: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = %s", [index])
        return cursor.fetchall()


def test_a_database_never_analysed_stays_so():
    run(analyze("followups_followup"))
    assert "sqlite_stat1" not in connection.introspection.table_names()


def test_an_analysed_database_gets_figures_for_the_new_index(users):
    customer = make_customer(users["rep1"])
    make_followup(users["rep1"], customer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        # As if the index had been created after that ANALYZE.
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = 'followup_alive_follower'")
    assert stats_of("followup_alive_follower") == []

    run(analyze("followups_followup"))

    assert stats_of("followup_alive_follower") != []
