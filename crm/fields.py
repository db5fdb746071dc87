"""Form fields that read input the way people type it (`crm.parsing`).

Every form of every module uses these for amounts, dates, phones and codes,
so "50万" or "2024年3月5日" works wherever such a value is entered.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import parsing
from .widgets import AmountInput, DateInput


class AmountField(forms.DecimalField):
    """A decimal typed as 500000, 500,000.00, ¥500,000, 50万 or 1.5亿.

    A text input with the decimal keypad (`type=number` would refuse 50万);
    a value too large for the column is refused with the largest one allowed,
    not with a count of digits."""

    widget = AmountInput
    default_error_messages = {
        "invalid": parsing.AMOUNT_MESSAGE,
        "too_large": _("The amount can be at most %(limit)s."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str) and not value.strip():
            return None
        try:
            return parsing.parse_amount(value)
        except ValidationError as exc:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from exc

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values or self.max_digits is None:
            return
        whole = self.max_digits - (self.decimal_places or 0)
        if abs(value) >= Decimal(10) ** whole:
            largest = Decimal(10) ** whole - Decimal(10) ** -(self.decimal_places or 0)
            raise ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"limit": f"{largest:,}"},
            )


class DateField(forms.DateField):
    """A date from the browser's date picker (ISO), or typed as 2024/3/5 or
    2024年3月5日 where there is no picker (and by imports)."""

    widget = DateInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str) and not value.strip():
            return None
        return parsing.parse_date(value)


class NormalizedCharField(forms.CharField):
    """Full-width letters and digits as ASCII before the length check; for codes,
    numbers and addresses typed with a Chinese input method."""

    def to_python(self, value):
        value = super().to_python(value)
        return parsing.normalize_text(value) if value else value


class EmailField(forms.EmailField):
    """An address typed with a Chinese input method is read as ASCII
    (`parsing.normalize_email`) before it is checked."""

    def to_python(self, value):
        value = super().to_python(value)
        return parsing.normalize_email(value) if value else value
