"""The reports: what each is called, who opens it and which query builds it.

A report's query is `build(user, filters) -> ReportResult`: it starts from
`Model.objects.for_user(user, "view")`, applies `filters` and aggregates in the
database with a number of queries that does not grow with the data.
"""

from dataclasses import dataclass

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from crm import permissions

from .models import Report

# The filters of the reports built on customers, and those built on deals.
CUSTOMER_FILTERS = (
    "period",
    "start",
    "end",
    "owner",
    "industry",
    "region",
    "tag",
    "customer_type",
    "level",
)
DEAL_FILTERS = (*CUSTOMER_FILTERS, "stage")


@dataclass(frozen=True)
class ReportSpec:
    key: str
    title: str
    description: str
    # The Report permission the viewer's role must hold ("sales", …).
    permission: str
    # The dotted path of the query, imported when the report is first built.
    query: str
    filter_fields: tuple[str, ...] = CUSTOMER_FILTERS
    default_period: str = "this_month"

    def build(self, user, filters):
        return import_string(self.query)(user, filters)

    @property
    def url_name(self) -> str:
        return f"reports:{self.key}"

    def allowed(self, user) -> bool:
        return permissions.has_model_perm(user, Report, self.permission)


REPORTS = [
    ReportSpec(
        "distribution",
        _("Customer distribution"),
        _("Customers by industry, province and area."),
        "sales",
        "reports.queries.distribution.build",
        default_period="all",
    ),
    ReportSpec(
        "funnel",
        _("Sales funnel"),
        _("Stages reached, conversion, win rate and deal cycle."),
        "sales",
        "reports.queries.funnel.build",
        DEAL_FILTERS,
    ),
    ReportSpec(
        "team",
        _("Team performance"),
        _("Follow-ups, new customers, wins, collection and targets per user."),
        "sales",
        "reports.queries.team.build",
        DEAL_FILTERS,
    ),
    ReportSpec(
        "value",
        _("Customer value"),
        _("Average order value, repurchase rate and the top 10 customers."),
        "sales",
        "reports.queries.value.build",
        DEAL_FILTERS,
    ),
    ReportSpec(
        "service",
        _("Service"),
        _("Tickets opened and resolved, resolution time, SLA and satisfaction."),
        "service",
        "reports.queries.service.build",
    ),
    ReportSpec(
        "actions",
        _("Action lists"),
        _("High-potential customers rarely followed, stalled deals, renewal risk."),
        "actions",
        "reports.queries.actions.build",
        ("owner", "industry", "region", "tag", "customer_type", "level", "as_of"),
        default_period="all",
    ),
]

BY_KEY = {spec.key: spec for spec in REPORTS}


def reports_for(user) -> list[ReportSpec]:
    return [spec for spec in REPORTS if spec.allowed(user)]
