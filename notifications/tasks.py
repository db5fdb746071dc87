"""Background work: notification e-mails (run by `manage.py db_worker`)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification

logger = logging.getLogger("notifications")


@task
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notification to its recipient once; returns how many went out.

    A notification is claimed (emailed_at set) before its mail is sent, so a
    task run twice sends nothing twice; one failing address does not stop the
    others."""
    sent = 0
    rows = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient", "actor")
    )
    base = settings.CRM_SITE_URL.rstrip("/")
    for notification in rows:
        claimed = Notification.objects.filter(
            pk=notification.pk, emailed_at__isnull=True
        ).update(emailed_at=timezone.now())
        if not claimed:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            message = notification.message
            body = message
            if notification.url:
                body += "\n\n" + base + notification.url
            body += "\n\n" + _(
                "Sent by the CRM; open it to see all your notifications."
            )
            subject = _("[CRM] %(message)s") % {"message": message}
        try:
            send_mail(
                subject[:200],
                body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient.email],
            )
        except Exception:
            logger.exception("Notification e-mail %s failed", notification.pk)
            continue
        sent += 1
    return sent
