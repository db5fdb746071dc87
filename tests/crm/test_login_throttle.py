"""Login throttling (crm/auth.py): every login path, one lock."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from crm.models import LoginFailure, SecurityEvent

APP_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pw-12345-test"
LOCKED = "登录失败次数过多"


def log_in(client, username, password=PASSWORD, url=APP_LOGIN, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        url, {"username": username, "password": password}, headers=headers
    )


def fail(client, username, times=5, url=APP_LOGIN, forwarded=None):
    for _ in range(times):
        response = log_in(client, username, "wrong", url, forwarded)
        assert "_auth_user_id" not in client.session
    return response


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def behind_proxy(settings):
    settings.CRM_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CRM_TRUSTED_PROXY_COUNT = 1


def test_failures_on_the_app_login_lock_the_admin_login(client, users):
    # given: five wrong passwords for admin on the app's login page
    fail(client, "admin")
    # when: the right password is tried on the admin's login page
    response = log_in(client, "admin", url=ADMIN_LOGIN)
    # then: refused, with the reason in Chinese, and the block is audited
    assert not logged_in(client)
    assert LOCKED in response.content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_BLOCKED)
    assert event.target == "admin"
    assert event.detail["address"] == "127.0.0.1"


def test_failures_on_the_admin_login_lock_the_app_login(client, users):
    # given: five wrong passwords for admin on the admin's login page
    fail(client, "admin", url=ADMIN_LOGIN)
    # when: the right password is tried on the app's login page
    response = log_in(client, "admin")
    # then: refused with the reason, not "wrong password"
    assert not logged_in(client)
    html = response.content.decode()
    assert LOCKED in html and "请 15 分钟后再试" in html
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_BLOCKED).exists()


def test_the_message_says_when_the_lock_ends(client, users):
    # given: five failures for rep1 from this address ten minutes ago
    ten_minutes_ago = timezone.now() - timezone.timedelta(minutes=10)
    LoginFailure.objects.bulk_create(
        LoginFailure(username_key="rep1", address="127.0.0.1", at=ten_minutes_ago)
        for _ in range(5)
    )
    # when: rep1 tries again
    response = log_in(client, "rep1")
    # then: the page says the five minutes left of the window
    assert "请 5 分钟后再试" in response.content.decode()
    assert not logged_in(client)


def test_four_failures_do_not_lock(client, users):
    # given: four typos
    fail(client, "rep1", times=4)
    # when: the right password
    response = log_in(client, "rep1")
    # then: in
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.parametrize("spelling", ["ｒｅｐ２", "REP2", " Rep2 "])
def test_other_spellings_of_a_name_share_its_lock(client, users, spelling):
    # given: Django logs `ｒｅｐ２` in as rep2 (it NFKC-normalises names)
    assert log_in(client, "ｒｅｐ２").status_code == 302
    client.logout()
    # and five failures under another spelling of the same name
    fail(client, spelling)
    # when: rep2 tries with the right password, full-width or not
    for name in ("ｒｅｐ２", "rep2"):
        response = log_in(client, name)
        # then: locked all the same
        assert not logged_in(client)
        assert LOCKED in response.content.decode()


def test_any_caller_of_authenticate_is_throttled_by_the_normalised_name(
    client, users, rf
):
    # given: five failures sent to authenticate() itself, as a login path
    # without Django's form (which NFKC-normalises) would send them
    for _ in range(5):
        assert authenticate(rf.post("/"), username="ｒｅｐ２", password="x") is None
    # when: rep2 tries with the right password, on that path and on the page
    refused = authenticate(rf.post("/"), username="rep2", password=PASSWORD)
    response = log_in(client, "rep2")
    # then: both are refused
    assert refused is None
    assert not logged_in(client) and LOCKED in response.content.decode()


def test_a_colleague_on_the_same_address_can_still_log_in(client, users):
    # given: someone guessed rep1's password five times from the office address
    fail(client, "rep1")
    # when: rep2 logs in from the same address
    response = log_in(Client(), "rep2")
    # then: rep2 is not locked out by the guesser
    assert response.status_code == 302


def test_an_address_is_locked_for_every_name_after_many_failures(client, users):
    # given: fifty guessed names from one address, none guessed five times
    for i in range(50):
        fail(client, f"guess{i}", times=1)
    # when: a real user logs in from that address
    response = log_in(client, "rep2")
    # then: refused with the reason; the audit says the address was locked
    assert not logged_in(client)
    assert LOCKED in response.content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_BLOCKED)
    assert event.detail["scope"] == "address"


def test_counts_are_shared_by_every_worker(users):
    # given: failures sent through two separate clients (two sessions, as if
    # on two workers)
    fail(Client(), "rep1", times=3)
    fail(Client(), "rep1", times=2)
    # then: the database holds them all, for any process to read
    assert LoginFailure.objects.filter(username_key="rep1").count() == 5
    # and a third client is refused
    third = Client()
    response = log_in(third, "rep1")
    assert not logged_in(third) and LOCKED in response.content.decode()


def test_blocked_attempts_do_not_prolong_the_lock(client, users):
    # given: a locked name
    fail(client, "rep1")
    # when: someone keeps trying
    for _ in range(3):
        log_in(client, "rep1")
    # then: only the five real failures count; each block is audited
    assert LoginFailure.objects.count() == 5
    blocked = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_BLOCKED)
    assert blocked.count() == 3


def test_old_failures_expire_and_are_pruned(client, users, settings):
    # given: five failures for rep1 from before the window
    long_ago = timezone.now() - timezone.timedelta(
        seconds=settings.LOGIN_FAILURE_WINDOW + 60
    )
    LoginFailure.objects.bulk_create(
        LoginFailure(username_key="rep1", address="127.0.0.1", at=long_ago)
        for _ in range(5)
    )
    # when: rep1 mistypes once more
    fail(client, "rep1", times=1)
    # then: the old failures no longer count and are gone from the table
    assert LoginFailure.objects.count() == 1
    assert log_in(client, "rep1").status_code == 302


def test_a_successful_login_forgives_earlier_typos(client, users):
    # given: four typos, then a successful log-in
    fail(client, "rep1", times=4)
    assert log_in(client, "rep1").status_code == 302
    client.logout()
    # when: four more typos later in the same window
    fail(client, "rep1", times=4)
    # then: rep1 still gets in
    assert log_in(client, "rep1").status_code == 302


def test_behind_the_proxy_each_client_has_its_own_address(client, users, behind_proxy):
    # given: five failures for rep1 from one client behind the proxy
    fail(client, "rep1", forwarded="203.0.113.7")
    # when: rep1 logs in from another client through the same proxy
    other = Client()
    response = log_in(other, "rep1", forwarded="198.51.100.9")
    # then: that client gets in; the first one stays locked
    assert response.status_code == 302 and logged_in(other)
    response = log_in(client, "rep1", forwarded="203.0.113.7")
    assert not logged_in(client) and LOCKED in response.content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_BLOCKED)
    assert event.detail["address"] == "203.0.113.7"


def test_a_forged_header_entry_does_not_escape_the_lock(client, users, behind_proxy):
    # given: a locked client behind the proxy
    fail(client, "rep1", forwarded="203.0.113.7")
    # when: it puts a made-up address in front of the one the proxy appends
    response = log_in(client, "rep1", forwarded="192.0.2.99, 203.0.113.7")
    # then: still locked
    assert not logged_in(client) and LOCKED in response.content.decode()


def test_without_configuration_the_header_is_not_trusted(client, users):
    # given: no proxy header configured; five failures, each claiming a new address
    for i in range(5):
        log_in(client, "rep1", "wrong", forwarded=f"192.0.2.{i}")
    # when: the right password, claiming yet another address
    response = log_in(client, "rep1", forwarded="198.51.100.9")
    # then: locked by the real connection address
    assert not logged_in(client) and LOCKED in response.content.decode()


def test_the_message_is_english_for_english_readers(client, users):
    # given: an English reader locked out
    client.cookies["django_language"] = "en"
    fail(client, "rep1")
    # when: they try again
    response = log_in(client, "rep1")
    # then: the reason in English
    assert response.context["form"].non_field_errors() == [
        "Too many failed log-ins. Try again in 15 minutes."
    ]
