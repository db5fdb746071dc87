"""Hostile values in every report's query parameters: an error next to the
field or the value ignored, never a 5xx and never the raw value echoed.

Every filter is a choice, a date or a record's id, so a value fails or passes
the form the same way whichever report reads it; the walk sends the whole
table once per report as HTML, a few values through the two downloads, and
free text to `sort`, the one parameter outside the form."""

import pytest
from django.test import Client
from django.urls import reverse

from reports.catalog import REPORTS
from reports.filters import ReportFilterForm
from tests import factories
from tests.factories import client_for
from tests.test_hostile_input import BIG, HOSTILE, IMG, SCRIPT, TEXTS, Problems, walk

# Every filter of the form (whatever it grows to), and the sort.
PARAMS = [*ReportFilterForm.base_fields, "sort"]
CASES = [(spec.key, "rep1") for spec in REPORTS] + [("team", "manager")]


@pytest.mark.parametrize(("report", "role"), CASES)
def test_reports_survive_hostile_parameters(client, users, report, role):
    factories.make_customer(users["rep1"], name=f"{SCRIPT}公司")
    c = client_for(client, users[role])
    path = reverse(f"reports:{report}")
    problems = Problems()
    walk(lambda params: c.get(path, params), problems, (PARAMS, HOSTILE))
    # The .xlsx is the admins' (DESIGN §4: only admins export).
    admin = client_for(Client(), users["admin"])
    for fmt, sender in (({"format": "json"}, c), ({"export": "xlsx"}, admin)):
        walk(
            lambda params, fmt=fmt, sender=sender: sender.get(path, {**params, **fmt}),
            problems,
            (PARAMS, [SCRIPT, IMG, BIG, ["1", BIG]]),
        )
    walk(lambda params: c.get(path, params), problems, (["sort"], TEXTS))
    walk(lambda params: c.get(path, params), problems, (["period"], ["custom"]))
    assert problems == []
