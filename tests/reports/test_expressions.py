"""`Milliseconds`: a datetime difference the database adds up itself."""

import datetime

from django.contrib.auth.models import User
from django.db.models import DateTimeField, Sum, Value
from django.utils import timezone

from reports.expressions import Milliseconds

START = datetime.datetime(2026, 3, 1, 23, 59, 59, 250_000, tzinfo=datetime.UTC)


def at(moment):
    return Value(moment, output_field=DateTimeField())


def test_milliseconds_between_two_datetimes(users):
    end = START + datetime.timedelta(days=1, hours=2, minutes=3, seconds=4.5)
    values = User.objects.filter(username="rep1").aggregate(
        forward=Sum(Milliseconds(at(end), at(START))),
        backward=Sum(Milliseconds(at(START), at(end))),
        none=Sum(Milliseconds(at(None), at(START))),
    )
    assert values == {"forward": 93_784_500, "backward": -93_784_500, "none": None}


def test_milliseconds_from_columns_across_time_zones(users):
    # The same instant written in another zone is no time at all.
    rep1 = users["rep1"]
    shanghai = START.astimezone(timezone.get_default_timezone())
    User.objects.filter(pk=rep1.pk).update(date_joined=shanghai, last_login=START)
    value = User.objects.filter(pk=rep1.pk).aggregate(
        ms=Sum(Milliseconds("date_joined", "last_login"))
    )["ms"]
    assert value == 0
