"""Validation of Chinese identifiers and contact details users type."""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc

# GB 32100-2015's alphabet: digits and capital letters other than I, O, Z, S, V.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code_check_char(first17: str) -> str:
    """The check character of a code's first 17 characters (python-stdnum's
    `cn.uscc`); tests and the demo data build valid codes with it."""
    return uscc.calc_check_digit(first17)


def normalize_credit_code(value: str) -> str:
    """A code as pasted (spaces, full-width or lower-case letters) → as stored."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def normalize_name(value: str) -> str:
    """Runs of spaces (full-width ones too) become one; none at either end."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


def validate_credit_code(value: str) -> None:
    """GB 32100-2015 unified social credit code, checked by python-stdnum's
    `cn.uscc`: 18 characters, the registering authority (a digit or a letter),
    then entity type and region (digits), and the check character. Forms and
    imports both come here."""
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters."), code="length"
        )
    if any(c not in CREDIT_CODE_CHARS for c in value):
        raise ValidationError(
            _(
                "A unified social credit code uses only digits and capital letters "
                "other than I, O, Z, S and V."
            ),
            code="chars",
        )
    try:
        if value[0].isdigit():
            uscc.validate(value)
        else:
            # GB 32100 codes registering authorities by letter too (A 编办,
            # N 农业, Y 其他), which python-stdnum's format check refuses:
            # the rest of the code and its check character as stdnum reads them.
            uscc.validate("9" + value[1:17] + uscc.calc_check_digit("9" + value[1:17]))
            if value[17] != uscc.calc_check_digit(value[:17]):
                raise stdnum_exceptions.InvalidChecksum()
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(
            _("The check digit of this unified social credit code is wrong."),
            code="checksum",
        ) from None
    except stdnum_exceptions.ValidationError:
        raise ValidationError(
            _(
                "Characters 2 to 8 of a unified social credit code are digits "
                "(entity type and region code)."
            ),
            code="region",
        ) from None


PHONE_MESSAGE = _(
    "Enter a mobile number or a landline with its area code, e.g. 021-68888888转8001."
)
# Stored as 021-68888888-8001, the form Chinese business cards use most. A
# digit-and-dash run also stays one number to `crm.privacy.mask_text`, which
# masks the whole of it in free text (a "转" would end the run early).
EXTENSION_MARK = "-"
# What people write before an extension: 021-68888888转8001, 分机 8001,
# ext. 8001, x8001, #8001; a last "-8001" only when the number is whole without it.
_EXTENSION = re.compile(
    r"^(?P<number>.+?)\s*(?:转|分机|分機|ext\.?|x|#)\s*(?P<ext>\d{1,6})$", re.IGNORECASE
)
_DASH_EXTENSION = re.compile(r"^(?P<number>.+?)\s*-\s*(?P<ext>\d{1,6})$")


def _parse_cn(text: str):
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_phone(value: str) -> str:
    """A phone as typed → as stored: a Chinese mobile as 11 digits, a landline
    as 0AA(A)-NNNNNNN(N), with -NNNN when it has an extension, a 400/800
    number as 400-NNN-NNNN, a foreign number in international format.

    Full-width digits and brackets (a Chinese input method) count as ASCII;
    +86 / 0086 and (021) are understood."""
    raw = unicodedata.normalize("NFKC", value or "").strip()
    if not raw:
        return ""
    number, extension = _parse_cn(raw), ""
    if number is not None:
        extension = number.extension or ""
    else:
        for pattern in (_EXTENSION, _DASH_EXTENSION):
            match = pattern.match(raw)
            if match and (number := _parse_cn(match["number"])) is not None:
                extension = match["ext"]
                break
    if number is None:
        raise ValidationError(PHONE_MESSAGE, code="phone")
    kind = phonenumbers.number_type(number)
    if extension and kind == phonenumbers.PhoneNumberType.MOBILE:
        raise ValidationError(
            _("A mobile number has no extension."), code="phone_extension"
        )
    suffix = f"{EXTENSION_MARK}{extension}" if extension else ""
    if number.country_code != 86:
        number.extension = None
        international = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return international + suffix
    national = str(number.national_number)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return national
    if national[:1] in "48" and len(national) == 10:
        # 400/800 service numbers have no area code.
        return f"{national[:3]}-{national[3:6]}-{national[6:]}{suffix}"
    area_len = 2 if national[:1] in "12" else 3
    return f"0{national[:area_len]}-{national[area_len:]}{suffix}"
