"""Values parsed the way people type them (DESIGN §6), for forms and imports.

Every parser takes what a person typed or a spreadsheet cell held and returns
the value, or raises `ValidationError` with a message that says what was
expected. Full-width characters (what a Chinese input method types: １２３,
，．￥) count as their ASCII twins; spaces around and inside numbers are ignored.
"""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalize_text(value) -> str:
    """Full-width digits, letters and punctuation as ASCII; no surrounding spaces
    (full-width ones included). Chinese characters are left as they are."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalize_email(value) -> str:
    """An address typed with a Chinese input method (ｗａｎｇ＠ａ．ｃｏｍ, or
    wang@a。com) as the ASCII address, its domain in lower case."""
    text = "".join(normalize_text(value).split()).replace("。", ".")
    local, at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if at else text


AMOUNT_MESSAGE = _("Enter an amount such as 500000, 500,000.00, ¥500,000 or 50万.")
UNITS = {"千": Decimal(1_000), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
_CURRENCY_PREFIX = re.compile(r"^(?:¥|RMB|CNY|人民币)", re.IGNORECASE)
_CURRENCY_SUFFIX = re.compile(r"(?:元|块|RMB|CNY)$", re.IGNORECASE)
# Digits with optional thousands separators in groups of three, or without.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


def parse_amount(value) -> Decimal:
    """An amount as typed: 500000, 500,000.00, ¥500,000, 50万, 1.5亿, 3千元,
    full-width digits. Never in exponent form (1.5亿 is 150000000, not 1.5E+8).

    Refused with a message: anything else (letters, 五十万, 1e5, 500,00 — a
    European decimal comma or a slip, the two cannot be told apart)."""
    if isinstance(value, bool):
        raise ValidationError(AMOUNT_MESSAGE, code="invalid")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = "".join(normalize_text(value).split())
        text = _CURRENCY_SUFFIX.sub("", _CURRENCY_PREFIX.sub("", text))
        unit = Decimal(1)
        if text[-1:] in UNITS:
            text, unit = text[:-1], UNITS[text[-1]]
            # 50万元 lost 元 above; 50元万 is not something people write.
        if not _NUMBER.fullmatch(text):
            raise ValidationError(AMOUNT_MESSAGE, code="invalid")
        try:
            number = Decimal(text.replace(",", "")) * unit
            if unit != 1:
                # 1.5万 is 15000, not 15000.0.
                number = number.normalize()
        except InvalidOperation as exc:  # pragma: no cover - the regex guards
            raise ValidationError(AMOUNT_MESSAGE, code="invalid") from exc
    if not number.is_finite():
        raise ValidationError(AMOUNT_MESSAGE, code="invalid")
    # Plain notation: Decimal("1.5") * 10**8 prints as 1.5E+8.
    return Decimal(format(number, "f"))


DATE_MESSAGE = _("Enter a date such as 2024-03-05, 2024/3/5 or 2024年3月5日.")
NO_SUCH_DATE_MESSAGE = _("There is no such date: %(value)s.")
_DATE_PATTERNS = (
    # 2024-03-05, 2024/3/5, 2024.3.5 (one separator used twice)
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    # 2024年3月5日, 2024年3月5号
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"),
    # 20240305
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
# A time after the date (a spreadsheet's datetime cell as text) is dropped.
_TIME_SUFFIX = re.compile(r"[T ]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


def parse_date(value) -> datetime.date:
    """A date as typed: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305,
    full-width digits, with or without a time after it. A date that does not
    exist (2024-02-30) gets its own message."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = normalize_text(value)
    text = _TIME_SUFFIX.sub("", text).strip()
    text = "".join(text.split())
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            break
    else:
        raise ValidationError(DATE_MESSAGE, code="invalid")
    try:
        return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError as exc:
        raise ValidationError(
            NO_SUCH_DATE_MESSAGE, code="invalid_date", params={"value": text}
        ) from exc


# Excel counts days from 1899-12-30 (its 1900 leap-year bug included), so
# serial 45366 is 2024-03-15 and the fraction is the time of day.
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958466  # 9999-12-31


def _excel_serial(value) -> datetime.datetime:
    if not 1 <= value < _EXCEL_MAX_SERIAL:
        raise ValidationError(DATE_MESSAGE, code="invalid")
    return EXCEL_EPOCH + datetime.timedelta(days=float(value))


def parse_excel_date(value) -> datetime.date:
    """`parse_date`, and a spreadsheet's number cell as an Excel date serial
    (45366 is 2024-03-15): what an import reads from a cell that lost its
    date format."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(value).date()
    return parse_date(value)


DATETIME_MESSAGE = _("Enter a date and time such as 2024-03-15 14:30.")
_DATETIME = re.compile(
    r"(?P<date>.+?)\s*(?:T|\s)?\s*"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
)


def parse_datetime(value) -> datetime.datetime:
    """A moment as typed or as a spreadsheet holds it, in the site's time zone:
    2024-03-15 14:30, 2024-03-1514:30 (the space lost), 2024/3/15 14:30:05,
    2024年3月15日 14:30, a date alone (midnight), a datetime or date cell, an
    Excel serial number (45366.6041 is 2024-03-15 14:30)."""
    if isinstance(value, bool):
        raise ValidationError(DATETIME_MESSAGE, code="invalid")
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    elif isinstance(value, int | float):
        # Rounded to the second: 14:30 is stored as 0.604166…, never exact.
        moment = _excel_serial(value)
        moment = (moment + datetime.timedelta(microseconds=500_000)).replace(
            microsecond=0
        )
    else:
        text = normalize_text(value)
        match = _DATETIME.fullmatch(text)
        try:
            if match:
                day = parse_date(match["date"])
                clock = datetime.time(
                    int(match["h"]), int(match["mi"]), int(match["s"] or 0)
                )
            else:
                day, clock = parse_date(text), datetime.time()
        except ValidationError as exc:
            if exc.code == "invalid_date":
                raise
            raise ValidationError(DATETIME_MESSAGE, code="invalid") from exc
        except ValueError as exc:  # 25:00
            raise ValidationError(DATETIME_MESSAGE, code="invalid") from exc
        moment = datetime.datetime.combine(day, clock)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
