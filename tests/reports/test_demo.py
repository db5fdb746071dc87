"""seed_demo's sales targets: the reps have one for this month and the two
before, sized on their wins, so the team report and the rep's workbench show
a completion; a second run adds nothing."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from reports.filters import month_start
from reports.models import SalesTarget


def seed():
    call_command("seed_demo", customers=30, password="demo-pass-1", stdout=StringIO())


@pytest.mark.django_db
def test_the_reps_get_targets_for_three_months_once():
    seed()
    this_month = month_start(timezone.localdate())
    targets = SalesTarget.objects.filter(month=this_month)
    assert sorted(t.user.username for t in targets) == ["rep1", "rep2"]
    assert all(t.won_amount >= 200000 and t.won_amount % 10000 == 0 for t in targets)
    assert SalesTarget.objects.count() == 6
    seed()
    assert SalesTarget.objects.count() == 6


@pytest.mark.django_db
def test_the_demo_rep_sees_their_progress_on_the_workbench():
    seed()
    client = Client()
    client.force_login(User.objects.get(username="rep1"))
    html = client.get("/").content.decode()
    assert 'id="target-completion"' in html
