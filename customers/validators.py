"""Validation of Chinese identifiers and contact details users type."""

import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w
        for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    """A code as pasted (spaces, full-width or lower-case letters) → as stored."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def normalize_name(value: str) -> str:
    """Runs of spaces (full-width ones too) become one; none at either end."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


def validate_credit_code(value: str) -> None:
    """GB 32100-2015 unified social credit code: 18 characters and a check digit."""
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
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The check digit of this unified social credit code is wrong."),
            code="checksum",
        )


def normalize_phone(value: str) -> str:
    """A Chinese mobile as 11 digits, a landline as 0AA(A)-NNNNNNN(N)."""
    raw = value.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Enter a mobile number or a landline with its area code."), code="phone"
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Enter a mobile number or a landline with its area code."), code="phone"
        )
    if number.country_code != 86:
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    national = str(number.national_number)
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return national
    area_len = 2 if national[:1] in "12" else 3
    return f"0{national[:area_len]}-{national[area_len:]}"
