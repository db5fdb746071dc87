"""Project middleware."""

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control


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
