"""The filters every report takes: period presets in the site's time zone,
custom ranges, and bad input refused next to its field."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone, translation

from reports.filters import ReportFilterForm, period_dates

TODAY = datetime.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("this_month", "2026-11-01", "2026-11-30"),
        ("last_month", "2026-10-01", "2026-10-31"),
        ("this_quarter", "2026-10-01", "2026-12-31"),
        ("this_year", "2026-01-01", "2026-12-31"),
    ],
)
def test_presets_cover_whole_months_quarters_and_years(period, first, last):
    start, end = period_dates(period, TODAY)
    assert (start.isoformat(), end.isoformat()) == (first, last)


def test_last_month_in_january_is_december_of_the_year_before():
    start, end = period_dates("last_month", datetime.date(2027, 1, 15))
    assert (start, end) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))


def test_quarter_of_february_and_all_time():
    assert period_dates("this_quarter", datetime.date(2024, 2, 29)) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 3, 31),
    )
    assert period_dates("all", TODAY) == (None, None)


def form(**data):
    return ReportFilterForm(data, default_period="this_month")


@pytest.mark.django_db
def test_the_period_includes_both_end_dates_whole_in_shanghai_time():
    f = form(period="custom", start="2026-11-01", end="2026-11-30")
    assert f.is_valid(), f.errors
    filters = f.filters()
    assert filters.start_at.isoformat() == "2026-11-01T00:00:00+08:00"
    assert filters.end_before.isoformat() == "2026-12-01T00:00:00+08:00"


@pytest.mark.django_db
def test_a_preset_is_computed_from_today_in_the_site_time_zone():
    # 2026-11-30 17:00 UTC is already 1 December in Shanghai.
    instant = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
    with mock.patch.object(timezone, "now", return_value=instant):
        f = form(period="this_month")
        assert f.is_valid()
    assert (f.filters().start, f.filters().end) == (
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 31),
    )


@pytest.mark.django_db
def test_no_period_given_uses_the_reports_default():
    f = ReportFilterForm({}, default_period="all")
    assert f.is_valid()
    assert f.filters().period == "all"
    assert (f.filters().start, f.filters().end) == (None, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"period": "custom"}, "start"),
        ({"period": "custom", "start": "2026-11-30", "end": "2026-11-01"}, "end"),
        ({"period": "custom", "start": "not a date"}, "start"),
        ({"period": "custom", "start": "20240-01-01"}, "start"),
        ({"period": "custom", "start": "1900-01-01"}, "start"),
        ({"period": "custom", "end": "2999-01-01"}, "end"),
        ({"period": "yesterday"}, "period"),
        ({"owner": "99999"}, "owner"),
        ({"owner": "1 OR 1=1"}, "owner"),
        ({"industry": "ZZ"}, "industry"),
        ({"region": "<script>"}, "region"),
        ({"tag": "-1"}, "tag"),
        ({"level": "E"}, "level"),
        ({"stage": "won' --"}, "stage"),
        ({"as_of": "2026-02-30"}, "as_of"),
    ],
)
def test_bad_values_are_errors_next_to_their_field(data, field):
    f = form(**data)
    assert not f.is_valid()
    assert field in f.errors


@pytest.mark.django_db
def test_industry_and_region_take_a_group_or_one_member():
    f = form(industry="C", region="华东")
    assert f.is_valid(), f.errors
    section = f.filters().customer_q("customer__")
    assert ("customer__industry__section", "C") in section.children
    assert ("customer__region__area", "华东") in section.children
    f = form(industry="13", region="31")
    assert f.is_valid(), f.errors
    one = f.filters().customer_q()
    assert ("industry_id", "13") in one.children
    assert ("region_id", "31") in one.children


@pytest.mark.django_db
def test_the_filters_describe_themselves_for_the_download(users):
    f = form(
        period="custom",
        start="2026-01-01",
        end="2026-03-31",
        owner=users["rep1"].pk,
        industry="C",
        region="31",
        level="A",
    )
    assert f.is_valid(), f.errors
    with translation.override("en"):
        described = {str(k): v for k, v in f.filters().described}
    assert "2026-01-01" in described["Period"] and "2026-03-31" in described["Period"]
    assert "rep1" in described["Owner"]
    assert described["Industry"].startswith("C ")
    assert described["Region"] == "上海市"
    assert described["Customer level"] == "A"
    params = f.filters().as_params()
    assert params == {
        "period": "custom",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "industry": "C",
        "region": "31",
        "level": "A",
        "owner": users["rep1"].pk,
    }
