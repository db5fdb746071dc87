"""The periodic sweeps: every registered one runs, idempotently, in isolation."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from crm.registry import registry
from notifications.models import Notification
from notifications.services import notify
from notifications.sweeps import run_sweeps

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture
def sweeps():
    saved = dict(registry.notification_sweeps)
    registry.notification_sweeps.clear()
    yield registry.notification_sweeps
    registry.notification_sweeps.clear()
    registry.notification_sweeps.update(saved)


def test_every_sweep_runs_with_the_time_and_repeats_create_nothing(users, sweeps):
    seen = []

    def overdue(now):
        seen.append(now)
        return notify(
            recipients=[users["rep1"]],
            kind="followup_overdue",
            params={"customer": "甲", "goal": "报价"},
            key="followup-overdue:1",
        )

    registry.add_notification_sweep("overdue", overdue)
    assert run_sweeps(NOW) == {"overdue": 1}
    assert run_sweeps(NOW) == {"overdue": 0}
    assert seen == [NOW, NOW]
    assert Notification.objects.filter(recipient=users["rep1"]).count() == 1


def test_a_failing_sweep_is_rolled_back_and_the_others_still_run(users, sweeps):
    def broken(now):
        notify(recipients=[users["rep2"]], kind="followup_overdue", key="b")
        raise RuntimeError("boom")

    def fine(now):
        return notify(recipients=[users["rep1"]], kind="followup_overdue", key="f")

    registry.add_notification_sweep("a-broken", broken)
    registry.add_notification_sweep("b-fine", fine)
    results = run_sweeps(NOW)
    assert isinstance(results["a-broken"], RuntimeError)
    assert results["b-fine"] == 1
    assert not Notification.objects.filter(recipient=users["rep2"]).exists()


def test_the_command_runs_them_once(users, sweeps):
    registry.add_notification_sweep(
        "one",
        lambda now: notify(
            recipients=[users["rep1"]], kind="followup_overdue", key="k"
        ),
    )
    registry.add_notification_sweep("bad", lambda now: 1 / 0)
    err = StringIO()
    call_command("run_sweeps", stdout=StringIO(), stderr=err)
    assert Notification.objects.filter(key="k").count() == 1
    assert "sweep bad failed: ZeroDivisionError" in err.getvalue()


def test_the_command_loops_until_stopped(users, sweeps, monkeypatch):
    runs = []
    registry.add_notification_sweep("count", lambda now: runs.append(now))
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(
        "notifications.management.commands.run_sweeps.time.sleep", sleep
    )
    with pytest.raises(KeyboardInterrupt):
        call_command("run_sweeps", "--loop", "--interval", "7", stdout=StringIO())
    assert len(runs) == 3
    assert sleeps == [7, 7, 7]
