from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def unread_count(user) -> int:
    from .models import Notification

    return Notification.objects.for_user(user).unread().count()


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from crm.registry import registry

        registry.add_urls("notifications/", "notifications.urls")
        # The bell's count (templates/base.html: id "badge-notifications").
        registry.add_badge("notifications", unread_count)
