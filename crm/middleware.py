"""Project middleware."""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control


class RejectNulMiddleware:
    """A NUL character in the URL path is a 400 before any view sees it.

    Forms already refuse NUL in every field, but URL arguments such as a
    customer number go straight into a lookup, and PostgreSQL text cannot
    hold NUL: the database error was a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise BadRequest("NUL in the URL path")
        return self.get_response(request)


class PrivateCacheMiddleware:
    """Keep pages and exports with customer data out of shared and browser caches.

    Every response to a signed-in user (and the login page, which carries a
    CSRF token) gets `Cache-Control: private, no-store`, so neither a proxy nor
    the browser's back button shows it to the next person at the computer.
    It sits below WhiteNoise, which answers static files itself and keeps
    their long-lived public caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated or request.path == resolve_url(
            settings.LOGIN_URL
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response
