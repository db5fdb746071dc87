"""An import as it goes through the wizard, and the mappings people save.

The uploaded file is kept in the row (app servers are stateless and the
background worker may run on another machine), with what the wizard shows
without reading the file again: its headers, a few sample rows, its size.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.querysets import RestrictedQuerySet

# What a job row keeps to show; the error workbook lists every error.
SHOWN_CAP = 1000


class ImportJobQuerySet(RestrictedQuerySet):
    """Jobs are seen by roles holding `imports.view_importjob` (administrators),
    every job; nobody else sees any."""


class ImportJob(models.Model):
    """One upload through the wizard: upload → mapping → dry run → run."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Mapped")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    module = models.CharField(_("module"), max_length=32)
    filename = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"))
    size = models.PositiveIntegerField(_("size"), default=0)
    headers = models.JSONField(default=list)
    # The first rows as text, for the mapping step.
    sample = models.JSONField(default=list)
    # {"<column index>": "<column key>" or None}
    mapping = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.UPLOADED
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    note_count = models.PositiveIntegerField(default=0)
    # [{"row", "column", "message"}], [{"row", "message"}]: the first SHOWN_CAP.
    errors = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    # Why a run stopped when it is not the rows' fault (the worker crashed).
    failure = models.TextField(blank=True)
    error_file = models.BinaryField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="importjob_recent")]

    def __str__(self):
        return self.filename

    def get_absolute_url(self):
        return reverse("imports:import_detail", args=[self.pk])

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.RUNNING)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def may_remap(self) -> bool:
        """The mapping (and so the dry run) may be done again: anything but a
        run under way or done (a failed run wrote nothing)."""
        return self.status in (
            self.Status.UPLOADED,
            self.Status.MAPPED,
            self.Status.CHECKED,
            self.Status.FAILED,
        )

    @property
    def may_confirm(self) -> bool:
        return self.status == self.Status.CHECKED and self.error_count == 0

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    def int_mapping(self) -> dict[int, str | None]:
        return {int(index): key or None for index, key in self.mapping.items()}


class SavedMapping(models.Model):
    """A column mapping kept by name for one module, keyed by the file's
    normalised header so it applies to the next file with the same headers."""

    module = models.CharField(_("module"), max_length=32)
    name = models.CharField(_("name"), max_length=60)
    # {"<normalised header>": "<column key>" or ""}
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        ordering = ["module", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "name"], name="savedmapping_module_name"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("imports:import_list")
