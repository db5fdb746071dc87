"""Login throttle keys (crm/auth.py), beyond tests/crm/test_login_throttle.py:
the address a lock is counted on and the name variants that share a lock."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from crm.auth import client_address, username_key
from crm.models import LoginFailure

PASSWORD = "pw-12345-test"


def log_in(client, username, password=PASSWORD) -> bool:
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


@pytest.mark.parametrize("variant", [" rep1", "rep1 ", "\trep1", "Rep1 "])
def test_name_variants_reaching_authenticate_share_the_lock(users, rf, variant):
    # authenticate() called without Django's form, which would strip the name
    for _ in range(5):
        authenticate(rf.post("/"), username=variant, password="wrong")
    assert authenticate(rf.post("/"), username="rep1", password=PASSWORD) is None
    assert LoginFailure.objects.filter(username_key="rep1").count() == 5


def test_username_key_folds_case_width_and_space():
    assert username_key("  ＲＥＰ１ ") == username_key("rep1") == "rep1"
    assert username_key(None) == ""


def test_failures_from_one_address_do_not_lock_the_name_elsewhere(users):
    for _ in range(5):
        log_in(from_address("192.0.2.10"), "rep1", "wrong")
    assert not log_in(from_address("192.0.2.10"), "rep1")
    assert log_in(from_address("192.0.2.20"), "rep1")


def test_an_address_lock_holds_only_for_that_address(users, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for i in range(6):
        log_in(from_address("192.0.2.10"), f"guess{i}", "wrong")
    assert not log_in(from_address("192.0.2.10"), "rep2")
    assert log_in(from_address("192.0.2.20"), "rep2")


def test_failures_are_counted_on_the_client_address(users):
    log_in(from_address("192.0.2.10"), "rep1", "wrong")
    assert list(LoginFailure.objects.values_list("address", "username_key")) == [
        ("192.0.2.10", "rep1")
    ]


def test_a_login_forgives_only_this_address_and_name(users):
    # Given typos for rep1 from two addresses and for rep2 from the first
    for _ in range(4):
        log_in(from_address("192.0.2.10"), "rep1", "wrong")
        log_in(from_address("192.0.2.20"), "rep1", "wrong")
    log_in(from_address("192.0.2.10"), "rep2", "wrong")
    # When rep1 logs in from the first address
    assert log_in(from_address("192.0.2.10"), "rep1")
    # Then only that address's failures for rep1 are forgiven
    left = LoginFailure.objects.values_list("address", "username_key")
    assert sorted(set(left)) == [("192.0.2.10", "rep2"), ("192.0.2.20", "rep1")]
    assert LoginFailure.objects.filter(address="192.0.2.20").count() == 4


@pytest.mark.parametrize(
    "header, proxies, address",
    [
        ("198.51.100.1", 1, "198.51.100.1"),
        ("203.0.113.5, 198.51.100.1", 1, "198.51.100.1"),
        ("203.0.113.5, 198.51.100.1", 2, "203.0.113.5"),
        ("203.0.113.5", 2, "127.0.0.1"),  # fewer hops than proxies
        ("not-an-address", 1, "127.0.0.1"),
        ("", 1, "127.0.0.1"),
    ],
)
def test_client_address_behind_trusted_proxies(rf, settings, header, proxies, address):
    settings.CRM_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CRM_TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", HTTP_X_FORWARDED_FOR=header, REMOTE_ADDR="127.0.0.1")
    assert client_address(request) == address


def test_client_address_ignores_the_header_without_configuration(rf, settings):
    settings.CRM_CLIENT_IP_HEADER = ""
    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_address(request) == "127.0.0.1"


def test_a_missing_proxy_header_falls_back_to_the_peer(rf, settings):
    settings.CRM_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CRM_TRUSTED_PROXY_COUNT = 1
    assert client_address(rf.get("/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"


def test_no_trusted_proxy_means_the_header_is_ignored(rf, settings):
    settings.CRM_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CRM_TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="192.0.2.7")
    assert client_address(request) == "192.0.2.7"


def test_the_blocked_attempt_says_which_lock_held(users):
    from crm.models import SecurityEvent

    for _ in range(5):
        log_in(from_address("192.0.2.10"), "rep1", "wrong")
    log_in(from_address("192.0.2.10"), "rep1")
    assert SecurityEvent.objects.get(kind="login_blocked").detail["scope"] == "name"


def test_when_two_locks_hold_the_longer_one_is_reported(users, settings):
    from datetime import timedelta

    from django.utils import timezone

    from crm.auth import login_lock

    # Given old typos for rep1, then many recent guesses from the same address
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    now, address = timezone.now(), "192.0.2.10"
    LoginFailure.objects.bulk_create(
        [
            *[
                LoginFailure(
                    username_key="rep1", address=address, at=now - timedelta(minutes=10)
                )
                for _ in range(5)
            ],
            *[
                LoginFailure(
                    username_key=f"g{i}", address=address, at=now - timedelta(minutes=1)
                )
                for i in range(8)
            ],
        ]
    )
    # Then rep1 is told to wait for the address lock, which ends later
    lock = login_lock("rep1", address)
    assert lock.scope == "address"
    assert lock.until == now - timedelta(minutes=1) + timedelta(
        seconds=settings.LOGIN_FAILURE_WINDOW
    )


def test_the_async_path_is_throttled_too(users, rf):
    from asgiref.sync import async_to_sync
    from django.contrib.auth import aauthenticate

    for _ in range(5):
        authenticate(rf.post("/"), username="rep1", password="wrong")
    user = async_to_sync(aauthenticate)(
        rf.post("/"), username="rep1", password=PASSWORD
    )
    assert user is None


def test_the_locked_login_form_error_is_marked_throttled(users):
    client = from_address("192.0.2.10")
    for _ in range(5):
        log_in(client, "rep1", "wrong")
    response = client.post(
        "/accounts/login/", {"username": "rep1", "password": PASSWORD}
    )
    errors = response.context["form"].errors.as_data()["__all__"]
    assert [e.code for e in errors] == ["throttled"]
    assert "登录失败次数过多" in response.content.decode()
