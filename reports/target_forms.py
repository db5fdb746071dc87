"""The form of a month's sales targets: a won amount and, optionally, a number
of new customers for each sales user, and the fingerprint of the targets it
was rendered from (so a save never overwrites a colleague's)."""

import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.fields import AmountField

from .filters import EARLIEST, LATEST
from .queries.team import display_name
from .services import TargetValue

MONTH = re.compile(r"(\d{4})-(\d{1,2})")
# The column's limit (max_digits=14, decimal_places=2), and a count no team
# reaches in a month.
AMOUNT_DIGITS = 14
MAX_NEW_CUSTOMERS = 1_000_000


def parse_month(text) -> datetime.date | None:
    """The first day of "2026-11" (what `<input type="month">` sends), or
    None for anything else."""
    match = MONTH.fullmatch((text or "").strip())
    if not match:
        return None
    try:
        month = datetime.date(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
    return month if EARLIEST <= month <= LATEST else None


class SalesTargetForm(forms.Form):
    """One field pair per user: `amount_<id>` and `customers_<id>`."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, users, targets, token, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = users
        self.targets = targets
        self.initial["token"] = token
        for user in users:
            name = display_name(user)
            target = targets.get(user.pk)
            self.fields[f"amount_{user.pk}"] = AmountField(
                label=_("Won amount target of %(user)s") % {"user": name},
                max_digits=AMOUNT_DIGITS,
                decimal_places=2,
                min_value=0,
                required=False,
                initial=target.won_amount if target else None,
            )
            self.fields[f"customers_{user.pk}"] = forms.IntegerField(
                label=_("New customers target of %(user)s") % {"user": name},
                min_value=0,
                max_value=MAX_NEW_CUSTOMERS,
                required=False,
                initial=target.new_customers if target else None,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )

    def clean(self):
        data = super().clean()
        for user in self.users:
            amount, customers = f"amount_{user.pk}", f"customers_{user.pk}"
            if (
                data.get(customers) is not None
                and data.get(amount) is None
                and not self.has_error(amount)
            ):
                self.add_error(
                    customers,
                    _("Give a won amount target to set a new customers target."),
                )
        return data

    def rows(self):
        """(user, [amount field, new customers field], saved target or None)."""
        return [
            (
                user,
                [self[f"amount_{user.pk}"], self[f"customers_{user.pk}"]],
                self.targets.get(user.pk),
            )
            for user in self.users
        ]

    def posted(self, user) -> bool:
        """Whether the submitted form had this user's fields (a user who joined
        the sales roles after the page was rendered had none)."""
        return f"amount_{user.pk}" in self.data or f"customers_{user.pk}" in self.data

    def values(self) -> dict[int, TargetValue]:
        """{user id: value} of the users the form was submitted with."""
        data = self.cleaned_data
        return {
            user.pk: TargetValue(
                data.get(f"amount_{user.pk}"), data.get(f"customers_{user.pk}")
            )
            for user in self.users
            if self.posted(user)
        }
