"""Running an import job: in the request for small files, otherwise as a
background task (`manage.py db_worker`), so a large file never holds a request.

The view claims the job first (its status, under a row lock); the run only
goes ahead when it finds the status it was started for, so a task delivered
twice runs once. Progress is written to the job row by the engine's callback,
outside any transaction, at most every half second.
"""

import logging
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from . import engine, reading, specs
from .models import SHOWN_CAP, ImportJob
from .workbooks import error_workbook

logger = logging.getLogger("imports")

PROGRESS_EVERY = 0.5  # seconds between two progress writes


class ProgressSaver:
    """The engine's `progress(done, total)`: saves to the job row, throttled."""

    def __init__(self, job_id: int, every: float = PROGRESS_EVERY):
        self.job_id = job_id
        self.every = every
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return
        self.last = now
        ImportJob.objects.filter(pk=self.job_id).update(
            progress_done=done, progress_total=total
        )


def in_background(job: ImportJob) -> bool:
    return job.size > settings.CRM_IMPORT_BACKGROUND_BYTES


def start(job: ImportJob, *, dry_run: bool) -> None:
    """Run the claimed job now or hand it to the worker, by the file's size."""
    if in_background(job):
        run_import_job.enqueue(job.pk, dry_run)
    else:
        execute(job.pk, dry_run=dry_run)


@task
def run_import_job(job_id: int, dry_run: bool) -> str:
    return execute(job_id, dry_run=dry_run)


def execute(job_id: int, *, dry_run: bool) -> str:
    """Dry-run or import the job; returns the status it ends in."""
    expected = ImportJob.Status.CHECKING if dry_run else ImportJob.Status.RUNNING
    job = ImportJob.objects.filter(pk=job_id, status=expected).first()
    if job is None:
        return "skipped"
    fields = {}
    try:
        table = reading.read_table(bytes(job.data), filename=job.filename)
        ImportJob.objects.filter(pk=job.pk).update(
            progress_done=0, progress_total=len(table)
        )
        result = engine.run_import(
            specs.get_spec(job.module),
            table,
            job.int_mapping(),
            user=job.user,
            dry_run=dry_run,
            progress=ProgressSaver(job.pk),
        )
    except PermissionDenied:
        fields = {"failure": _("You may not import these records.")}
    except reading.FileRefused as refused:
        fields = {"failure": refused.message}
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        fields = {
            "failure": _(
                "The import stopped on an unexpected error; nothing was imported."
            )
        }
    else:
        fields = result_fields(table, result)
    if fields.get("failure"):
        fields.update(status=ImportJob.Status.FAILED, finished_at=timezone.now())
    elif dry_run:
        fields["status"] = ImportJob.Status.CHECKED
    else:
        fields.update(
            status=(
                ImportJob.Status.DONE if not result.errors else ImportJob.Status.FAILED
            ),
            finished_at=timezone.now(),
        )
    ImportJob.objects.filter(pk=job.pk, status=expected).update(**fields)
    return fields["status"]


def result_fields(table, result) -> dict:
    """What a job row keeps of an engine result."""
    return {
        "rows": result.rows,
        "new": result.new,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "error_count": len(result.errors),
        "note_count": len(result.notes),
        "errors": [
            {"row": e.row, "column": e.column, "message": str(e.message)}
            for e in result.errors[:SHOWN_CAP]
        ],
        "notes": [
            {"row": n.row, "message": str(n.message)} for n in result.notes[:SHOWN_CAP]
        ],
        "error_file": error_workbook(table, result) if result.errors else None,
        "progress_done": result.rows,
        "progress_total": result.rows,
        "failure": "",
    }
