"""The import wizard and history (administrators: `imports.add_importjob`
imports, `imports.view_importjob` sees the jobs).

upload → mapping (with the dry run) → the job's page: the dry run's counts
and errors, confirm → progress → result. Every step is a job in the database,
so a step can be retried, two tabs see the same state, and the run itself may
happen in the background worker. Only the user who uploaded a job takes it
through the steps; other administrators see it in the history.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, View
from django.views.generic.detail import SingleObjectMixin

from crm import permissions
from crm.views import RestrictedViewMixin

from . import specs, tasks
from .forms import SAMPLE_ROWS, MappingForm, UploadForm, initial_mapping, sample_text
from .models import ImportJob, SavedMapping
from .workbooks import template_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# How many errors and notes the job's page lists; the error file has them all.
SHOWN_ERRORS = 100


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class ImportViewMixin(RestrictedViewMixin):
    model = ImportJob
    model_permission = "view"

    def get_queryset(self):
        # The file's bytes stay in the database unless a view needs them.
        return super().get_queryset().defer("data", "error_file").select_related("user")

    def spec_of(self, job):
        try:
            return specs.get_spec(job.module)
        except KeyError:
            raise Http404 from None


class OwnJobMixin(ImportViewMixin):
    """A wizard step: importers only, on their own jobs (403 otherwise)."""

    model_permission = "add"

    def get_object(self, queryset=None):
        job = super().get_object(queryset)
        if job.user_id != self.request.user.pk:
            raise PermissionDenied
        return job


class ImportListView(ImportViewMixin, ListView):
    template_name = "imports/importjob_list.html"
    paginate_by = 25

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(has_error_file=Q(error_file__isnull=False))
            .defer("headers", "sample", "mapping", "errors", "notes")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        labels = {spec.key: spec.label for spec in specs.all_specs()}
        for job in context["object_list"]:
            job.module_label = labels.get(job.module, job.module)
        context["may_import"] = permissions.has_model_perm(
            self.request.user, ImportJob, "add"
        )
        return context


class ImportCreateView(ImportViewMixin, FormView):
    """Upload: the module and the file; the file is read (and refused with the
    reason) here, then the job is created and the mapping step opens."""

    model_permission = "add"
    form_class = UploadForm
    template_name = "imports/importjob_upload.html"

    def get_initial(self):
        return {"module": self.request.GET.get("module", "")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(templates=specs.all_specs(), **kwargs)

    def form_valid(self, form):
        table = form.table
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            user=self.request.user,
            module=form.cleaned_data["module"],
            filename=upload.name[:255],
            data=form.cleaned_data["data"],
            size=upload.size,
            headers=[str(h) for h in table.headers],
            sample=[[sample_text(v) for v in row] for row in table.rows[:SAMPLE_ROWS]],
            rows=len(table),
        )
        return HttpResponseRedirect(reverse("imports:import_mapping", args=[job.pk]))


class ImportTemplateView(ImportViewMixin, View):
    """A module's template: header row, an example row, dropdowns."""

    model_permission = "add"

    def get(self, request, module):
        try:
            spec = specs.get_spec(module)
        except KeyError:
            raise Http404 from None
        return xlsx_response(template_workbook(spec), f"{spec.label}导入模板.xlsx")


class ImportMappingView(OwnJobMixin, SingleObjectMixin, FormView):
    """The file's columns, each with a select of the module's columns
    (automatic, or from a saved mapping: `?saved=<id>`); saving runs the dry
    run (in the background for a large file) and opens the job's page."""

    form_class = MappingForm
    template_name = "imports/importjob_mapping.html"

    def setup_job(self):
        self.object = self.get_object()
        self.spec = self.spec_of(self.object)
        if not self.object.may_remap:
            return HttpResponseRedirect(self.object.get_absolute_url())
        return None

    def get(self, request, *args, **kwargs):
        return self.setup_job() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.setup_job() or super().post(request, *args, **kwargs)

    def saved_mappings(self):
        return SavedMapping.objects.filter(module=self.object.module)

    def chosen_saved(self):
        pk = self.request.GET.get("saved", "")
        if not pk.isdigit():
            return None
        return self.saved_mappings().filter(pk=pk).first()

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "spec": self.spec,
            "headers": self.object.headers,
            "sample": self.object.sample,
        }

    def get_initial(self):
        job = self.object
        if job.mapping and "saved" not in self.request.GET:
            return {
                f"col_{index}": key or "" for index, key in job.int_mapping().items()
            }
        return initial_mapping(self.spec, job.headers, self.chosen_saved())

    def get_context_data(self, **kwargs):
        chosen = self.chosen_saved()
        return super().get_context_data(
            job=self.object,
            spec=self.spec,
            saved_mappings=self.saved_mappings(),
            chosen_saved=chosen.pk if chosen else None,
            **kwargs,
        )

    def form_valid(self, form):
        mapping = form.cleaned_data["mapping"]
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=self.object.pk)
            if not job.may_remap:
                messages.error(self.request, _("This import has already started."))
                return HttpResponseRedirect(job.get_absolute_url())
            job.mapping = {str(index): key for index, key in mapping.items()}
            job.status = ImportJob.Status.CHECKING
            job.progress_done = 0
            job.progress_total = job.rows
            job.save(
                update_fields=["mapping", "status", "progress_done", "progress_total"]
            )
            name = form.cleaned_data["save_as"].strip()
            if name:
                SavedMapping.objects.update_or_create(
                    module=job.module,
                    name=name,
                    defaults={
                        "mapping": form.saved_mapping(),
                        "created_by": self.request.user,
                    },
                )
        if name:
            messages.success(
                self.request, _("Mapping “%(name)s” saved.") % {"name": name}
            )
        tasks.start(job, dry_run=True)
        return HttpResponseRedirect(job.get_absolute_url())


class ImportDetailView(ImportViewMixin, DetailView):
    """The job's page: the dry run's result and the confirm button, the
    progress of a run, or its result. `#status` is the part the progress
    endpoint re-renders."""

    template_name = "imports/importjob_detail.html"
    context_object_name = "job"

    def get_context_data(self, **kwargs):
        job = self.object
        return super().get_context_data(
            spec=self.spec_of(job),
            shown_errors=job.errors[:SHOWN_ERRORS],
            shown_notes=job.notes[:SHOWN_ERRORS],
            own=job.user_id == self.request.user.pk,
            mapped=self.mapped_columns(job),
            **kwargs,
        )

    def mapped_columns(self, job):
        labels = {c.key: c.header for c in self.spec_of(job).columns()}
        mapping = job.int_mapping()
        return [
            (header, labels.get(mapping.get(index) or "", ""))
            for index, header in enumerate(job.headers)
        ]


class ImportProgressView(ImportDetailView):
    """The status part of the job's page, polled every second while it runs."""

    template_name = "imports/importjob_detail.html#status"


class ImportConfirmView(OwnJobMixin, SingleObjectMixin, View):
    """Run the checked import. The status is claimed under a row lock, so a
    second tab (or a double click) finds it running or done and runs nothing."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=self.object.pk)
            if not job.may_confirm:
                if job.status == ImportJob.Status.CHECKED:
                    messages.error(
                        request,
                        _("Fix the errors first: with any error nothing is imported."),
                    )
                else:
                    messages.error(
                        request, _("This import has already run or is running.")
                    )
                return HttpResponseRedirect(job.get_absolute_url())
            job.status = ImportJob.Status.RUNNING
            job.progress_done = 0
            job.save(update_fields=["status", "progress_done"])
        tasks.start(job, dry_run=False)
        return HttpResponseRedirect(job.get_absolute_url())


class ImportErrorsView(ImportViewMixin, SingleObjectMixin, View):
    """The failed rows with their errors, as .xlsx."""

    def get_queryset(self):
        return ImportJob.objects.for_user(self.request.user, "view")

    def get(self, request, *args, **kwargs):
        job = self.get_object()
        if not job.error_file:
            raise Http404
        stem = job.filename.rsplit(".", 1)[0]
        return xlsx_response(bytes(job.error_file), f"{stem}-错误.xlsx")
