"""Masking of contact details, decided once per record (DESIGN §4).

A user may see a record's contact details (phone, e-mail, notes) when they
may edit it, or look after it (a customer's success manager calls its
contacts): the actions in `CONTACT_DETAIL_ACTIONS`. The queryset computes
that decision with the rows (`annotate_contact_visibility`); templates,
history, exports and JSON render masked values from it, and never change the
model instances they are given.
"""

import re

from django.db.models import Q

from .querysets import flag

CONTACT_DETAIL_ACTIONS = ("change", "renew")
FLAG = "contacts_visible"


def contact_details_q(queryset, user) -> Q | None:
    """Rows whose contact details `user` may see; None for every row."""
    q = Q(pk__in=[])
    for action in CONTACT_DETAIL_ACTIONS:
        allowed = queryset.access_q(user, action)
        if allowed is None:
            return None
        q |= allowed
    return q


def annotate_contact_visibility(queryset, user):
    """Add the boolean column `contacts_visible` to each row."""
    return queryset.annotate(**{FLAG: flag(contact_details_q(queryset, user))})


def may_see_contact_details(queryset, user, pk) -> bool:
    q = contact_details_q(queryset, user)
    return q is None or queryset.filter(q, pk=pk).exists()


def mask_phone(value: str) -> str:
    """138****5678: a full number keeps its first three and last four digits;
    a shorter one (a local number without area code, in a note) only its last
    two, so no number is ever shown whole."""
    if not value:
        return ""
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    if len(digits) < 7:
        return "****"
    hide = set(digits[3:-4] if len(digits) >= 10 else digits[:-2])
    return "".join("*" if i in hide else c for i, c in enumerate(value))


def mask_email(value: str) -> str:
    if "@" not in value:
        return "****" if value else ""
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# ASCII word characters only: in "电话13812345678" the number touches a CJK
# character, which Python's \w would count as part of the same word.
PHONE_RE = re.compile(r"(?<![A-Za-z0-9_@.])\+?\d[\d -]{5,}\d(?![A-Za-z0-9_@])")


def mask_text(text: str) -> str:
    """Mask every e-mail address and phone number inside free text."""
    if not isinstance(text, str):
        return text
    text = EMAIL_RE.sub(lambda m: mask_email(m.group()), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group()), text)


def reveal(value: str, visible: bool, kind: str) -> str:
    """`value` as the reader may see it; `kind` is "phone", "email" or "text"."""
    if visible or not value:
        return value
    return {"phone": mask_phone, "email": mask_email}.get(kind, mask_text)(value)
