"""The 500 page: self-contained, rendered with DEBUG off and no request context."""

import logging

import pytest
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.defaults import server_error


@login_not_required
def failing_view(request):
    raise RuntimeError("secret detail <b>that must not leak</b>")


urlpatterns = [path("failing/", failing_view), path("", include("crm.urls"))]


def test_server_error_renders_the_app_page_without_a_request_context(rf, settings):
    settings.DEBUG = False
    # Given a request that never went through the middleware (no user, no session)
    request = rf.get("/customers/")
    # When Django's handler renders the 500 page (this test has no database
    # access: pytest-django fails any query)
    response = server_error(request)
    # Then it is the app's own page, in Chinese and English
    html = response.content.decode()
    assert response.status_code == 500
    assert "<title>服务器出错 · Server error</title>" in html
    assert "服务器出错了" in html and "Server error:" in html
    assert html.index("服务器出错了") < html.index("Server error:")
    assert 'href="/static/css/app.css"' in html
    assert 'href="/"' in html
    # No inline script or style for the CSP to refuse.
    assert "<script" not in html and "style=" not in html and "<style" not in html


@pytest.mark.urls(__name__)
def test_an_unhandled_error_shows_the_500_page_and_logs_the_traceback(
    client, settings, caplog
):
    settings.DEBUG = False
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/failing/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错了" in html
    assert "Traceback" not in html and "secret detail" not in html
    assert "RuntimeError" not in html
    assert "Content-Security-Policy" in response.headers
    # The traceback goes to the log, not to the page.
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info[0] is RuntimeError
