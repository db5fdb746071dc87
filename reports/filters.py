"""The filters every report takes (DESIGN §7), as query parameters.

`ReportFilterForm` reads them from the URL (so a report can be bookmarked and
shared) and `ReportFilters` is what the queries get: the period as dates and
as aware datetimes in the site's time zone (both end dates whole), and `Q`
objects for the customer attributes along whatever path a model reaches its
customer by. The queries apply these after `for_user()`; nothing here decides
visibility.
"""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.widgets import DateInput
from customers.forms import UserChoiceField, industry_groups, region_groups
from customers.models import Customer, Industry, Region, Tag
from opportunities.models import Stage

BLANK = ("", "—")

PERIOD_CHOICES = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("this_quarter", _("This quarter")),
    ("this_year", _("This year")),
    ("all", _("All time")),
    ("custom", pgettext_lazy("report period", "Custom")),
]

# Dates a report accepts: wide enough for any real history, narrow enough
# that a typo (year 20240) is caught next to the field, not by the database.
EARLIEST = datetime.date(1990, 1, 1)
LATEST = datetime.date(2100, 12, 31)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def period_dates(
    period: str, today: datetime.date
) -> tuple[datetime.date | None, datetime.date | None]:
    """(first, last) day of a preset period; (None, None) for all time."""
    if period == "this_month":
        return month_start(today), next_month(today) - datetime.timedelta(days=1)
    if period == "last_month":
        end = month_start(today) - datetime.timedelta(days=1)
        return month_start(end), end
    if period == "this_quarter":
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        last = next_month(next_month(next_month(first))) - datetime.timedelta(days=1)
        return first, last
    if period == "this_year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    return None, None


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(), tzinfo=timezone.get_current_timezone()
    )


def industry_choices():
    """Sections ("A") and their divisions ("01"), grouped by section."""
    groups = []
    for label, divisions in industry_groups():
        section = label.split(" ", 1)[0]
        everything = (section, _("%(section)s (every division)") % {"section": label})
        groups.append((label, (everything, *divisions)))
    return [BLANK, *groups]


def region_choices():
    """Areas ("华东") and their provinces ("31"), grouped by area."""
    groups = []
    for area, provinces in region_groups():
        everything = (area, _("%(area)s (every province)") % {"area": area})
        groups.append((area, (everything, *provinces)))
    return [BLANK, *groups]


@dataclass(frozen=True)
class ReportFilters:
    """The cleaned filters. `start`/`end` are inclusive dates (None: open)."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    period: str = "all"
    owner: object = None  # a User
    industry: str = ""  # a section letter or a division code
    region: str = ""  # an area name or a province code
    tag: Tag | None = None
    customer_type: str = ""
    level: str = ""
    stage: str = ""
    # The day the action lists are computed for (default today).
    as_of: datetime.date | None = None
    # (label, value) of every filter set, for the .xlsx header.
    described: list = field(default_factory=list, compare=False)

    # -- the period ---------------------------------------------------------

    @property
    def start_at(self) -> datetime.datetime | None:
        """The period's first instant, in the site's time zone."""
        return local_midnight(self.start) if self.start else None

    @property
    def end_before(self) -> datetime.datetime | None:
        """The first instant after the period (its end date is whole)."""
        if not self.end:
            return None
        return local_midnight(self.end + datetime.timedelta(days=1))

    def in_period(self, column: str) -> Q:
        """Q for a datetime `column` inside the period."""
        q = Q()
        if self.start:
            q &= Q(**{f"{column}__gte": self.start_at})
        if self.end:
            q &= Q(**{f"{column}__lt": self.end_before})
        return q

    def dates_in_period(self, column: str) -> Q:
        """Q for a date `column` inside the period."""
        q = Q()
        if self.start:
            q &= Q(**{f"{column}__gte": self.start})
        if self.end:
            q &= Q(**{f"{column}__lte": self.end})
        return q

    # -- the customer attributes ---------------------------------------------

    def customer_q(self, path: str = "") -> Q:
        """Q for the customer filters, along `path` ("" on Customer itself,
        "customer__" on a follow-up, ticket or opportunity)."""
        q = Q()
        if self.industry:
            if self.industry.isdigit():
                q &= Q(**{f"{path}industry_id": self.industry})
            else:
                q &= Q(**{f"{path}industry__section": self.industry})
        if self.region:
            if self.region.isdigit():
                q &= Q(**{f"{path}region_id": self.region})
            else:
                q &= Q(**{f"{path}region__area": self.region})
        if self.tag:
            q &= Q(**{f"{path}tags": self.tag})
        if self.customer_type:
            q &= Q(**{f"{path}type": self.customer_type})
        if self.level:
            q &= Q(**{f"{path}level": self.level})
        return q

    def owner_q(self, column: str) -> Q:
        """Q for the owner filter on `column` (owner, 跟进人, assignee)."""
        return Q(**{column: self.owner}) if self.owner else Q()

    def stage_q(self, path: str = "") -> Q:
        """Q for the sales stage filter, on Opportunity along `path`."""
        return Q(**{f"{path}stage": self.stage}) if self.stage else Q()

    def as_params(self) -> dict:
        """The filters as the query parameters that give them back."""
        params = {"period": self.period}
        if self.period == "custom":
            params["start"] = self.start.isoformat() if self.start else ""
            params["end"] = self.end.isoformat() if self.end else ""
        for name in ("industry", "region", "customer_type", "level", "stage"):
            if getattr(self, name):
                params[name] = getattr(self, name)
        if self.as_of:
            params["as_of"] = self.as_of.isoformat()
        if self.owner:
            params["owner"] = self.owner.pk
        if self.tag:
            params["tag"] = self.tag.pk
        return params

    def as_json(self) -> dict:
        """The filters in a JSON download: dates as ISO text, records by key."""
        return {
            "period": self.period,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "owner": self.owner.get_username() if self.owner else None,
            "industry": self.industry or None,
            "region": self.region or None,
            "tag": self.tag.name if self.tag else None,
            "customer_type": self.customer_type or None,
            "level": self.level or None,
            "stage": self.stage or None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


class ReportFilterForm(forms.Form):
    """The filter bar of every report. Unknown or malformed values are errors
    next to their field (never a 500); the period presets are computed from
    today in the site's time zone."""

    period = forms.ChoiceField(
        label=_("Period"), choices=PERIOD_CHOICES, required=False
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    owner = UserChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.order_by("name"), required=False
    )
    customer_type = forms.ChoiceField(
        label=_("Customer type"),
        choices=[BLANK, *Customer.Type.choices],
        required=False,
    )
    level = forms.ChoiceField(
        label=_("Customer level"),
        choices=[BLANK, *Customer.Level.choices],
        required=False,
    )
    stage = forms.ChoiceField(
        label=_("Sales stage"), choices=[BLANK, *Stage.choices], required=False
    )
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput())

    def __init__(self, *args, default_period="this_month", fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_period = default_period
        self.fields["industry"].choices = industry_choices()
        self.fields["region"].choices = region_choices()
        if fields is not None:
            for name in list(self.fields):
                if name not in fields:
                    del self.fields[name]

    def clean(self):
        data = super().clean()
        period = data.get("period") or self.default_period
        data["period"] = period
        start, end = data.get("start"), data.get("end")
        if period == "custom":
            if not start and not end and not self.has_error("start"):
                self.add_error("start", _("Give the first day, the last day or both."))
        else:
            start, end = period_dates(period, timezone.localdate())
        for name, day in (("start", start), ("end", end)):
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Give a date between %(first)s and %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
                )
        if start and end and end < start and not self.has_error("end"):
            self.add_error("end", _("The last day is before the first day."))
        data["start"], data["end"] = start, end
        as_of = data.get("as_of")
        if as_of and not EARLIEST <= as_of <= LATEST:
            self.add_error(
                "as_of",
                _("Give a date between %(first)s and %(last)s.")
                % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
            )
        return data

    def filters(self) -> ReportFilters:
        """The cleaned filters (call after is_valid())."""
        data = self.cleaned_data
        described = []
        if "period" in self.fields:
            described.append((self.fields["period"].label, self.period_label()))
        for name in (
            "owner",
            "industry",
            "region",
            "tag",
            "customer_type",
            "level",
            "stage",
            "as_of",
        ):
            if name in self.fields and data.get(name):
                described.append((self.fields[name].label, self.value_label(name)))
        return ReportFilters(
            start=data.get("start"),
            end=data.get("end"),
            period=data["period"],
            owner=data.get("owner"),
            industry=data.get("industry", ""),
            region=data.get("region", ""),
            tag=data.get("tag"),
            customer_type=data.get("customer_type", ""),
            level=data.get("level", ""),
            stage=data.get("stage", ""),
            as_of=data.get("as_of"),
            described=described,
        )

    def period_label(self) -> str:
        data = self.cleaned_data
        label = dict(PERIOD_CHOICES)[data["period"]]
        start, end = data.get("start"), data.get("end")
        if not (start or end):
            return str(label)
        span = (
            f"{start.isoformat() if start else '…'} – {end.isoformat() if end else '…'}"
        )
        return f"{label} ({span})"

    def value_label(self, name: str) -> str:
        value = self.cleaned_data[name]
        field = self.fields[name]
        if name == "as_of":
            return value.isoformat()
        if isinstance(field, forms.ModelChoiceField):
            return field.label_from_instance(value)
        if name == "industry":
            return industry_label(value)
        if name == "region":
            return region_label(value)
        return str(dict(field.choices).get(value, value))


def industry_label(value: str) -> str:
    if value.isdigit():
        row = Industry.objects.filter(code=value).first()
        return f"{row.code} {row.name}" if row else value
    row = Industry.objects.filter(section=value).first()
    return f"{value} {row.section_name}" if row else value


def region_label(value: str) -> str:
    if value.isdigit():
        row = Region.objects.filter(code=value).first()
        return row.name if row else value
    return value
