"""Customer distribution (DESIGN §7): the customers created in the period by
industry section and division, and by province and area, with each group's
share of them all.

Two GROUP BY queries (by division, by province) over the visible customers;
the sections and areas are rolled up from them in Python against the
reference tables (97 divisions, 34 provinces), so the query count is the same
whatever the number of customers.
"""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Industry, Region

from ..tables import Chart, Column, ReportResult, Table, ratio

NOT_SET = _("Not set")


def _counts(customers) -> tuple[dict, dict]:
    """({industry code: customers}, {province code: customers}), None for
    not set: one GROUP BY over both columns (at most 98 × 35 groups, read
    from the index of live customers' places), summed up in Python."""
    by_industry: dict = {}
    by_region: dict = {}
    rows = customers.order_by().values_list("industry_id", "region_id")
    for industry, region, n in rows.annotate(n=Count("pk")):
        by_industry[industry] = by_industry.get(industry, 0) + n
        by_region[region] = by_region.get(region, 0) + n
    return by_industry, by_region


def build(user, filters) -> ReportResult:
    customers = Customer.objects.for_user(user, "view").filter(
        filters.in_period("created_at"),
        filters.customer_q(),
        filters.owner_q("owner"),
    )
    by_industry, by_region = _counts(customers)
    total = sum(by_industry.values())
    industries = list(Industry.objects.order_by("code"))
    regions = list(Region.objects.order_by("code"))

    def share(count: int):
        return ratio(count, total)

    return ReportResult(
        tables=[
            _sections(industries, by_industry, share),
            _divisions(industries, by_industry, share),
            _areas(regions, by_region, share),
            _provinces(regions, by_region, share),
        ],
        charts=[
            Chart("sections_pie", "pie", "sections", "section_name", ("count",)),
            Chart("divisions_bar", "hbar", "divisions", "name", ("count",)),
            Chart("province_map", "map", "provinces", "short_name", ("count",)),
            Chart("areas_bar", "bar", "areas", "area", ("count",)),
        ],
        figures=[(_("Customers"), total, "count")],
    )


def _count_column():
    return Column("count", _("Number of customers"), "count")


def _share_column():
    return Column("share", _("Proportion"), "share")


def _sections(industries, by_industry, share) -> Table:
    sections: dict[str, dict] = {}
    for industry in industries:
        row = sections.setdefault(
            industry.section,
            {"section": industry.section, "section_name": industry.section_name},
        )
        row["count"] = row.get("count", 0) + by_industry.get(industry.code, 0)
    rows = sorted(
        (r for r in sections.values() if r["count"]),
        key=lambda r: (-r["count"], r["section"]),
    )
    unset = by_industry.get(None, 0)
    if unset:
        rows.append({"section": "", "section_name": NOT_SET, "count": unset})
    for row in rows:
        row["share"] = share(row["count"])
    return Table(
        "sections",
        _("By industry section"),
        [
            Column("section", _("Code")),
            Column("section_name", _("Industry section")),
            _count_column(),
            _share_column(),
        ],
        rows,
    )


def _divisions(industries, by_industry, share) -> Table:
    rows = [
        {
            "code": industry.code,
            "name": industry.name,
            "section": industry.section,
            "count": by_industry[industry.code],
            "share": share(by_industry[industry.code]),
        }
        for industry in industries
        if by_industry.get(industry.code)
    ]
    rows.sort(key=lambda r: (-r["count"], r["code"]))
    return Table(
        "divisions",
        _("By industry division"),
        [
            Column("code", _("Code")),
            Column("name", _("Industry division")),
            Column("section", _("Section")),
            _count_column(),
            _share_column(),
        ],
        rows,
        note=_("Divisions with no customers are left out."),
    )


def _areas(regions, by_region, share) -> Table:
    # Every area is listed, empty ones too, in the order of their first
    # province code (华北, 东北, 华东, …) where counts tie.
    areas: dict[str, int] = {}
    for region in regions:
        areas[region.area] = areas.get(region.area, 0) + by_region.get(region.code, 0)
    order = {area: i for i, area in enumerate(areas)}
    rows = [{"area": area, "count": count} for area, count in areas.items()]
    rows.sort(key=lambda r: (-r["count"], order[r["area"]]))
    unset = by_region.get(None, 0)
    if unset:
        rows.append({"area": NOT_SET, "count": unset})
    for row in rows:
        row["share"] = share(row["count"])
    return Table(
        "areas",
        _("By area"),
        [Column("area", _("Area")), _count_column(), _share_column()],
        rows,
    )


def _provinces(regions, by_region, share) -> Table:
    # All 34 provinces, empty ones too, so the map shades every outline.
    rows = [
        {
            "code": region.code,
            "name": region.name,
            "short_name": region.short_name,
            "area": region.area,
            "count": by_region.get(region.code, 0),
        }
        for region in regions
    ]
    rows.sort(key=lambda r: (-r["count"], r["code"]))
    unset = by_region.get(None, 0)
    if unset:
        rows.append(
            {
                "code": "",
                "name": NOT_SET,
                "short_name": NOT_SET,
                "area": "",
                "count": unset,
            }
        )
    for row in rows:
        row["share"] = share(row["count"])
    return Table(
        "provinces",
        _("By province"),
        [
            Column("code", _("Code")),
            Column("name", _("Province")),
            Column("short_name", _("Short name"), page=False),
            Column("area", _("Area")),
            _count_column(),
            _share_column(),
        ],
        rows,
    )
