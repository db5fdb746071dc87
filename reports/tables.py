"""What a report computes: tables of figures and the charts drawn from them.

A report's query function returns a `ReportResult`; the page, the .xlsx and
the JSON download are three renderings of that one object, so they hold
exactly the same figures. Values stay raw (int, Decimal, None); formatting
(CNY with thousands separators, rates with one decimal, "—" for a rate with a
zero denominator) happens at display time (`reports/templatetags`,
`reports/xlsx.py`, `ReportResult.as_json`).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# How a column's values are shown. "rate" and "share" values are Decimal
# fractions (0.1234 shows as 12.3%) or None for a zero denominator.
KINDS = ("text", "count", "amount", "rate", "share", "number", "date")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    # The row key holding a URL for this cell ("url" → <a href=row["url"]>).
    link: str = ""
    # False: in the downloads only (a code whose label the page already shows).
    page: bool = True

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    # A last row of totals (same keys), shown apart from the sortable rows.
    total: dict[str, Any] | None = None
    # Shown under the table: how a figure is defined, or why a row is empty.
    note: str = ""
    # Column keys the page may sort by (`?sort=key` / `?sort=-key`).
    sortable: tuple[str, ...] = ()

    def sorted_by(self, sort: str) -> str:
        """Sort the rows by `sort` ("key" or "-key") if that column is
        sortable; empty values last either way. Returns the sort applied."""
        key = sort.lstrip("-")
        if key not in self.sortable:
            return ""
        descending = sort.startswith("-")
        present = [r for r in self.rows if r.get(key) is not None]
        missing = [r for r in self.rows if r.get(key) is None]
        present.sort(key=lambda r: r[key], reverse=descending)
        self.rows = present + missing
        return sort


@dataclass(frozen=True)
class Chart:
    """A chart drawn from one table: `category` names the column of the
    labels, `values` the columns drawn as series. `kind` is one of "bar",
    "hbar", "pie", "funnel", "line", "map" (a map's categories are the
    provinces' short names, as the map's outlines name them)."""

    key: str
    kind: str
    table: str
    category: str
    values: tuple[str, ...]
    title: str = ""


@dataclass
class ReportResult:
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    # Key figures shown as cards above the tables: [(label, value, kind)].
    figures: list[tuple[str, Any, str]] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def chart_data(self) -> list[dict]:
        """The charts with their numbers, for `json_script` (JSON-safe)."""
        data = []
        for chart in self.charts:
            table = self.table(chart.table)
            labels = {c.key: str(c.label) for c in table.columns}
            kinds = {c.key: c.kind for c in table.columns}
            data.append(
                {
                    "key": chart.key,
                    "kind": chart.kind,
                    "title": str(chart.title or table.title),
                    "categories": [str(r[chart.category]) for r in table.rows],
                    "series": [
                        {
                            "name": labels[v],
                            "kind": kinds[v],
                            "values": [
                                chart_value(r.get(v), kinds[v]) for r in table.rows
                            ],
                        }
                        for v in chart.values
                    ],
                }
            )
        return data

    def as_json(self, report: str, title: str, filters) -> dict:
        """The download: every figure of the page, amounts as exact strings,
        rates and shares as percentages with one decimal (None: "—")."""
        return {
            "report": report,
            "title": str(title),
            "filters": filters.as_json(),
            "figures": [
                {"label": str(label), "kind": kind, "value": json_value(value, kind)}
                for label, value, kind in self.figures
            ],
            "tables": {
                t.key: {
                    "title": str(t.title),
                    "columns": [
                        {"key": c.key, "label": str(c.label), "kind": c.kind}
                        for c in t.columns
                    ],
                    "rows": [json_row(t.columns, r) for r in t.rows],
                    "total": json_row(t.columns, t.total) if t.total else None,
                }
                for t in self.tables
            },
        }


ONE_DECIMAL = Decimal("0.1")
CENTS = Decimal("0.01")


def percent(value) -> Decimal | None:
    """A fraction as a percentage with one decimal (half up), None kept."""
    if value is None:
        return None
    return (Decimal(value) * 100).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def ratio(numerator, denominator) -> Decimal | None:
    """numerator ÷ denominator as a Decimal fraction; None when the
    denominator is zero or missing (shown as "—")."""
    if not denominator:
        return None
    return Decimal(numerator or 0) / Decimal(denominator)


def json_value(value, kind: str):
    if value is None:
        return None
    if kind in ("rate", "share"):
        return float(percent(value))
    if kind == "amount":
        return str(Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP))
    if kind == "number":
        return float(Decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP))
    if kind == "count":
        return int(value)
    if kind == "date":
        return value.isoformat()
    return str(value)


def chart_value(value, kind: str):
    """A number a chart can draw (the table beside it has the exact value)."""
    value = json_value(value, kind)
    return float(value) if kind == "amount" and value is not None else value


def json_row(columns: list[Column], row: dict) -> dict:
    return {c.key: json_value(row.get(c.key), c.kind) for c in columns}
