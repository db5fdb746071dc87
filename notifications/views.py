"""The notification list, opening one, and marking read.

Every view reads through `Notification.objects.for_user()`: a user only ever
sees and touches their own; another user's notification is a 404.
"""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView
from django.views.generic.detail import SingleObjectMixin

from crm.pagination import CappedPaginator
from crm.views import RestrictedViewMixin

from . import services
from .models import Notification


def list_url() -> str:
    return reverse("notifications:notification_list")


def back_url(request) -> str:
    """Where to return after an action on the list: the page it came from."""
    target = request.POST.get("next", "")
    if (
        target
        and url_has_allowed_host_and_scheme(
            target,
            allowed_hosts={request.get_host()},
            require_https=request.is_secure(),
        )
        and services.is_same_site_path(target)
    ):
        return target
    return list_url()


class NotificationListView(RestrictedViewMixin, ListView):
    model = Notification
    template_name = "notifications/notification_list.html"
    paginate_by = 25
    paginator_class = CappedPaginator

    def unread_only(self) -> bool:
        return self.request.GET.get("show") == "unread"

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .select_related("actor")
            .order_by("-created_at", "-id")
        )
        return qs.unread() if self.unread_only() else qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unread_only"] = self.unread_only()
        context["query_string"] = "show=unread" if self.unread_only() else ""
        context["unread_count"] = (
            Notification.objects.for_user(self.request.user).unread().count()
        )
        return context


class NotificationActionView(RestrictedViewMixin, SingleObjectMixin, View):
    """POST-only action on one of the user's notifications."""

    model = Notification
    permission_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        notification = self.get_object()
        services.mark_read(user=request.user, notification=notification)
        return self.done(notification)


class NotificationOpenView(NotificationActionView):
    """Mark read, then go where the notification leads (a path on this site)."""

    def done(self, notification):
        url = notification.url
        if url and services.is_same_site_path(url):
            return HttpResponseRedirect(url)
        return HttpResponseRedirect(list_url())


class NotificationReadView(NotificationActionView):
    def done(self, notification):
        if self.request.htmx:
            template = "notifications/notification_list.html"
            item = render_to_string(
                f"{template}#notification_item",
                {"n": notification, "next_url": back_url(self.request)},
                request=self.request,
            )
            # The tab's count too, out of band.
            unread = Notification.objects.for_user(self.request.user).unread()
            count = render_to_string(
                f"{template}#unread_tab_count",
                {"unread_count": unread.count(), "oob": True},
            )
            response = HttpResponse(item + count)
            # The page reloads its counts (base.html's badge loader).
            response["HX-Trigger"] = "badges-changed"
            return response
        return HttpResponseRedirect(back_url(self.request))


class NotificationReadAllView(RestrictedViewMixin, View):
    model = Notification
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        count = services.mark_all_read(user=request.user)
        if count:
            messages.success(request, _("All notifications marked as read."))
        return HttpResponseRedirect(back_url(request))
