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
