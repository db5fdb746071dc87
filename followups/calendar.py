"""The private iCalendar feed of a user's open plans (RFC 5545), and its token.

Written by hand: a feed of VEVENTs with UTC times is a few lines of text,
and the rules that matter (escaping TEXT values, CRLF line ends, folding
lines at 75 octets without splitting a character) are below and tested.
Plans show in the site's language: a calendar app has no session.
"""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import CalendarToken
from .selectors import my_open_plans

FEED_DAYS_BACK = 30
FEED_LIMIT = 500
EVENT_MINUTES = 30


def calendar_token_regenerate(*, user) -> CalendarToken:
    """A new secret for the user's feed; the old URL stops working."""
    with transaction.atomic():
        token, _created = CalendarToken.objects.update_or_create(
            user=user, defaults={"token": secrets.token_urlsafe(32)}
        )
        return token


def calendar_token_revoke(*, user) -> None:
    with transaction.atomic():
        CalendarToken.objects.filter(user=user).delete()


def user_for_token(token: str):
    """The active user whose feed `token` opens, or None."""
    if not token or len(token) > 64:
        return None
    row = (
        CalendarToken.objects.filter(token=token, user__is_active=True)
        .select_related("user")
        .first()
    )
    # The index found the row; compare in constant time all the same.
    if row is None or not secrets.compare_digest(row.token, token):
        return None
    return row.user


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma, newline."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\n", "\\n")
    # Other control characters have no place in a content line.
    return "".join(c for c in text if c == "\t" or ord(c) >= 32)


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next, after a space
    (§3.1); never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with a space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def feed_plans(user, now: datetime.datetime):
    since = now - datetime.timedelta(days=FEED_DAYS_BACK)
    return list(
        my_open_plans(user)
        .filter(next_at__gte=since)
        .select_related("customer")[:FEED_LIMIT]
    )


def render_feed(user, *, base_url: str, now: datetime.datetime | None = None) -> str:
    """The VCALENDAR text of the user's open plans (from FEED_DAYS_BACK ago)."""
    now = now or timezone.now()
    host = base_url.split("://", 1)[-1].split("/", 1)[0] or "crm"
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//CRM//Follow-up plans//ZH",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:" + escape_text(_("My follow-up plans")),
            "X-WR-TIMEZONE:" + settings.TIME_ZONE,
        ]
        for plan in feed_plans(user, now):
            start = plan.next_at
            end = start + datetime.timedelta(minutes=EVENT_MINUTES)
            summary = _("Follow up: %(customer)s") % {"customer": plan.customer.name}
            goal = plan.next_goal or _("(no goal given)")
            description = "\n".join(
                [
                    _("Goal: %(goal)s") % {"goal": goal},
                    _("Customer: %(customer)s") % {"customer": plan.customer},
                    _("Planned in %(record)s") % {"record": plan.record_no},
                ]
            )
            lines += [
                "BEGIN:VEVENT",
                f"UID:followup-plan-{plan.pk}@{host}",
                "DTSTAMP:" + utc(now),
                "DTSTART:" + utc(start),
                "DTEND:" + utc(end),
                "SUMMARY:" + escape_text(summary),
                "DESCRIPTION:" + escape_text(description),
                # A URI value, not TEXT: nothing to escape in our own paths.
                "URL:" + base_url.rstrip("/") + plan.get_absolute_url(),
                "STATUS:CONFIRMED",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
