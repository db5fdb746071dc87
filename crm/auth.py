"""Login throttling on every login path: the app's page, the admin's, anything else.

Two rules, counted in the database (`LoginFailure`) so every worker and every
app server sees the same numbers:

- a name is locked *for one client address* after `LOGIN_FAILURE_LIMIT`
  failures within `LOGIN_FAILURE_WINDOW`, so a stranger guessing a colleague's
  name does not lock the colleague out everywhere;
- an address is locked for every name only after `LOGIN_ADDRESS_FAILURE_LIMIT`
  failures, so one person's typos do not lock out a whole office behind one
  address, while guessing many names from one place still stops.

`LoginThrottleBackend` sits first in `AUTHENTICATION_BACKENDS` and raises
`PermissionDenied` while a rule holds: Django's `authenticate()` stops there
whichever form or view called it. Failures are counted from the
`user_login_failed` signal, which `authenticate()` sends on every path. The
receivers are connected when this module is imported: by `crm.admin` at start-up
and, at the latest, by the first `authenticate()` loading the backend.

Names are keyed as Django compares them at log-in (NFKC, so `ｒｅｐ２` is
`rep2`), trimmed and case-folded. The client address is REMOTE_ADDR unless a
trusted proxy header is configured (`CRM_CLIENT_IP_HEADER`).
"""

import ipaddress
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from . import history
from .models import LoginFailure, SecurityEvent


def username_key(username) -> str:
    """The name as the lock counts it: NFKC as at log-in, trimmed, case-folded."""
    name = unicodedata.normalize("NFKC", str(username or "")).strip().casefold()
    return name[: LoginFailure._meta.get_field("username_key").max_length]


def client_address(request) -> str:
    """The client's address as our own proxies saw it.

    Without `CRM_CLIENT_IP_HEADER` only REMOTE_ADDR counts: the header is the
    client's to forge. With it, each of the `CRM_TRUSTED_PROXY_COUNT` proxies
    appends the address it received from, so the entry that many places from
    the right is the last one a trusted proxy wrote; entries further left are
    whatever the client sent.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.CRM_CLIENT_IP_HEADER
    proxies = settings.CRM_TRUSTED_PROXY_COUNT
    if not header or proxies < 1:
        return remote
    hops = [hop.strip() for hop in request.META.get(header, "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote


@dataclass(frozen=True)
class Lock:
    scope: str  # "name" (this name from this address) or "address" (every name)
    until: datetime

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))


def login_lock(username, address: str) -> Lock | None:
    """The lock that holds for this name from this address, if any."""
    recent = LoginFailure.objects.recent().filter(address=address)
    rules = [
        (
            "name",
            recent.filter(username_key=username_key(username)),
            settings.LOGIN_FAILURE_LIMIT,
        ),
        ("address", recent, settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    locks = []
    for scope, failures, limit in rules:
        # Locked while `limit` failures are in the window: until the oldest of
        # the newest `limit` ones leaves it.
        edge = failures.order_by("-at").values_list("at", flat=True)[limit - 1 : limit]
        for at in edge:
            locks.append(Lock(scope, at + window))
    return max(locks, key=lambda lock: lock.until, default=None)


class LoginThrottleBackend:
    """First authentication backend: refuses every log-in while a lock holds.

    It never authenticates anyone itself; it only says "stop" (PermissionDenied,
    which ends `authenticate()`) and leaves the lock on the request so the login
    form can say why.
    """

    @sensitive_variables("credentials")
    def authenticate(self, request, username=None, **credentials):
        if request is None:
            return None  # no client to throttle: shell, management commands
        if username is None:
            username = credentials.get(get_user_model().USERNAME_FIELD)
        address = client_address(request)
        lock = login_lock(username, address)
        if lock is None:
            return None
        request.login_lock = lock
        history.audit(
            None,
            SecurityEvent.Kind.LOGIN_BLOCKED,
            str(username or "")[:150],
            address=address,
            scope=lock.scope,
        )
        raise PermissionDenied

    async def aauthenticate(self, request, **credentials):
        return await sync_to_async(self.authenticate)(request, **credentials)

    # No get_user(): the backend never logs anyone in, and without it
    # force_login() and session lookups pass over it to ModelBackend.


@receiver(user_login_failed, dispatch_uid="crm.auth.count_failure")
def count_failure(sender, credentials, request=None, **kwargs):
    # A blocked attempt is audited, not counted: counting it would keep
    # pushing the end of the lock further out while someone keeps trying.
    if request is None or getattr(request, "login_lock", None):
        return
    name = credentials.get("username", credentials.get(get_user_model().USERNAME_FIELD))
    LoginFailure.objects.expired().delete()
    LoginFailure.objects.create(
        username_key=username_key(name), address=client_address(request)
    )


@receiver(user_logged_in, dispatch_uid="crm.auth.forget_failures")
def forget_failures(sender, request, user, **kwargs):
    # Whoever just proved the password is forgiven their earlier typos from
    # this address; nobody else's failures are touched.
    if request is None:
        return
    LoginFailure.objects.filter(
        address=client_address(request), username_key=username_key(user.get_username())
    ).delete()


class ThrottleMessageMixin:
    """Says "too many failed log-ins" instead of "wrong password" when locked."""

    def get_invalid_login_error(self):
        lock = getattr(self.request, "login_lock", None)
        if lock is None:
            return super().get_invalid_login_error()
        minutes = lock.minutes
        return ValidationError(
            ngettext(
                "Too many failed log-ins. Try again in %(minutes)s minute.",
                "Too many failed log-ins. Try again in %(minutes)s minutes.",
                minutes,
            ),
            code="throttled",
            params={"minutes": minutes},
        )


class ThrottledAuthenticationForm(ThrottleMessageMixin, AuthenticationForm):
    """The app's login form."""


class ThrottledAdminAuthenticationForm(ThrottleMessageMixin, AdminAuthenticationForm):
    """The admin site's login form (`admin.site.login_form`, set in crm/admin.py)."""
