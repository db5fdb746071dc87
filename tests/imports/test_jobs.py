"""Running a job (imports/tasks.py): once per claim, progress saved throttled,
failures recorded instead of raised, what a job row keeps of a result."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from customers.models import Customer
from imports import engine, tasks
from imports.models import SHOWN_CAP, ImportJob


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["客户名称", "客户等级"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_job(user, rows, status=ImportJob.Status.CHECKING) -> ImportJob:
    data = xlsx(rows)
    return ImportJob.objects.create(
        user=user,
        module="customers",
        filename="客户.xlsx",
        data=data,
        size=len(data),
        headers=["客户名称", "客户等级"],
        mapping={"0": "name", "1": "level"},
        status=status,
        rows=len(rows),
    )


def test_a_dry_run_records_the_counts_and_writes_nothing(users):
    job = make_job(users["admin"], [["甲公司", "A"], ["乙公司", "B"]])
    assert tasks.execute(job.pk, dry_run=True) == ImportJob.Status.CHECKED
    job.refresh_from_db()
    assert (job.rows, job.new, job.error_count, job.error_file) == (2, 2, 0, None)
    assert job.finished_at is None
    assert not Customer.objects.exists()


def test_a_run_writes_and_finishes_the_job(users):
    job = make_job(users["admin"], [["甲公司", "A"]], ImportJob.Status.RUNNING)
    assert tasks.execute(job.pk, dry_run=False) == ImportJob.Status.DONE
    job.refresh_from_db()
    assert job.finished_at is not None and job.percent == 100
    assert Customer.objects.get().name == "甲公司"


@pytest.mark.parametrize(
    ("status", "dry_run"),
    [
        (ImportJob.Status.DONE, False),
        (ImportJob.Status.CHECKED, False),
        (ImportJob.Status.RUNNING, True),
        (ImportJob.Status.UPLOADED, True),
    ],
)
def test_a_task_delivered_for_a_job_in_another_state_does_nothing(
    users, status, dry_run
):
    job = make_job(users["admin"], [["甲公司", "A"]], status)
    assert tasks.execute(job.pk, dry_run=dry_run) == "skipped"
    job.refresh_from_db()
    assert job.status == status
    assert not Customer.objects.exists()


def test_rows_with_errors_fail_the_run_and_keep_every_error_in_the_file(users):
    rows = [[f"公司{i}", "Z"] for i in range(SHOWN_CAP + 5)]
    job = make_job(users["admin"], rows, ImportJob.Status.RUNNING)
    assert tasks.execute(job.pk, dry_run=False) == ImportJob.Status.FAILED
    job.refresh_from_db()
    assert job.error_count == SHOWN_CAP + 5
    assert len(job.errors) == SHOWN_CAP
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == "客户等级"
    sheet = load_workbook(io.BytesIO(bytes(job.error_file))).worksheets[0]
    assert sheet.max_row == SHOWN_CAP + 6
    assert not Customer.objects.exists()


def test_an_unexpected_error_fails_the_job_with_a_message(users, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine, "run_import", broken)
    job = make_job(users["admin"], [["甲公司", "A"]], ImportJob.Status.RUNNING)
    assert tasks.execute(job.pk, dry_run=False) == ImportJob.Status.FAILED
    job.refresh_from_db()
    assert job.failure and "disk full" not in job.failure
    assert job.finished_at is not None


def test_a_user_who_may_not_import_gets_a_failed_job_not_an_error(users):
    job = make_job(users["manager"], [["甲公司", "A"]], ImportJob.Status.RUNNING)
    assert tasks.execute(job.pk, dry_run=False) == ImportJob.Status.FAILED
    job.refresh_from_db()
    assert job.failure
    assert not Customer.objects.exists()


def test_progress_is_saved_at_most_every_half_second_and_always_at_the_end(
    users, monkeypatch
):
    job = make_job(users["admin"], [["甲公司", "A"]])
    clock = [100.0]
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    saver = tasks.ProgressSaver(job.pk)

    def saved():
        job.refresh_from_db()
        return job.progress_done, job.progress_total

    saver(500, 2000)
    assert saved() == (500, 2000)
    clock[0] += 0.2
    saver(1000, 2000)
    assert saved() == (500, 2000)  # too soon
    clock[0] += 0.4
    saver(1500, 2000)
    assert saved() == (1500, 2000)
    clock[0] += 0.1
    saver(2000, 2000)
    assert saved() == (2000, 2000)  # the last one always
    assert job.percent == 100


def test_the_progress_of_a_job_is_what_the_page_shows(users):
    job = make_job(users["admin"], [["甲公司", "A"]], ImportJob.Status.RUNNING)
    job.progress_done, job.progress_total = 250, 1000
    assert job.percent == 25
    job.progress_total = 0
    assert job.percent == 0


def test_a_job_keeps_what_the_wizard_needs(users):
    job = make_job(users["admin"], [["甲公司", "A"]], ImportJob.Status.CHECKED)
    assert job.int_mapping() == {0: "name", 1: "level"}
    assert job.may_confirm and job.may_remap and not job.busy
    job.error_count = 1
    assert not job.may_confirm
    for status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        job.status = status
        assert not job.may_confirm and not job.may_remap
