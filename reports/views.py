"""The report pages: one view renders every report of `catalog.REPORTS`.

A report is computed once per request by its query (`spec.build(user,
filters)`) and shown three ways from that one result: the page (charts fed by
`json_script`, each beside the table of its numbers), `?format=json` and
`?export=xlsx`. The filters are query parameters, so a report's URL can be
bookmarked and shared; what it shows depends on who opens it, because every
query starts from `for_user()`.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.generic import TemplateView

from crm import history
from crm.models import SecurityEvent

from . import xlsx
from .catalog import BY_KEY, reports_for
from .filters import ReportFilterForm
from .models import Report


class ReportIndexView(TemplateView):
    """`/reports/`: the reports the viewer's role opens."""

    template_name = "reports/report_index.html"

    def get_context_data(self, **kwargs):
        specs = reports_for(self.request.user)
        if not specs:
            raise PermissionDenied
        return super().get_context_data(
            reports=specs,
            may_set_targets=Report.may(self.request.user, "team"),
            **kwargs,
        )


class ReportView(TemplateView):
    """One report: `report` names its entry in the catalogue."""

    template_name = "reports/report.html"
    report = ""

    def dispatch(self, request, *args, **kwargs):
        self.spec = BY_KEY[self.report]
        if not self.spec.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        data = request.GET.copy()
        if not data.get("period"):
            data["period"] = self.spec.default_period
        form = ReportFilterForm(
            data,
            default_period=self.spec.default_period,
            fields=self.spec.filter_fields,
        )
        wants_json = request.GET.get("format") == "json"
        wants_xlsx = request.GET.get("export") == "xlsx"
        if wants_xlsx and not Report.may(request.user, "export"):
            # DESIGN §4: only admins export. The JSON is the page itself,
            # the figures the viewer already sees, so it stays open.
            raise PermissionDenied
        if not form.is_valid():
            if wants_json or wants_xlsx:
                return JsonResponse(
                    {"errors": form.errors.get_json_data()},
                    status=400,
                    json_dumps_params={"ensure_ascii": False},
                )
            return self.render_to_response(
                self.get_context_data(form=form, result=None), status=400
            )
        filters = form.filters()
        result = self.spec.build(request.user, filters)
        sort = ""
        for table in result.tables:
            if table.sortable:
                sort = table.sorted_by(request.GET.get("sort", "")) or sort
        if wants_json:
            return JsonResponse(
                result.as_json(self.spec.key, self.spec.title, filters),
                json_dumps_params={"ensure_ascii": False, "indent": 1},
            )
        if wants_xlsx:
            return self.download(result, filters)
        return self.render_to_response(
            self.get_context_data(form=form, result=result, sort=sort, filters=filters)
        )

    def download(self, result, filters):
        now = timezone.localtime()
        content = xlsx.workbook(
            title=str(self.spec.title),
            result=result,
            filters=filters,
            user=self.request.user,
            generated_at=now,
        )
        history.audit(
            self.request.user,
            SecurityEvent.Kind.EXPORT,
            f"report:{self.spec.key}",
            rows=sum(len(t.rows) for t in result.tables),
            query=self.request.GET.urlencode(),
            format="xlsx",
        )
        response = HttpResponse(content, content_type=xlsx.CONTENT_TYPE)
        name = f"report-{self.spec.key}-{now:%Y%m%d-%H%M}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def get_context_data(self, **kwargs):
        result = kwargs.get("result")
        query = self.request.GET.copy()
        for name in ("format", "export", "sort"):
            query.pop(name, None)
        return super().get_context_data(
            spec=self.spec,
            reports=reports_for(self.request.user),
            charts=result.chart_data() if result else [],
            may_export=Report.may(self.request.user, "export"),
            query=query.urlencode(),
            page_title=self.spec.title,
            **kwargs,
        )
