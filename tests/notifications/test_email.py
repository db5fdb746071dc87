"""Notification e-mails: a background task, enqueued after the commit, only
when mail is configured, each notification mailed at most once."""

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import send_notification_emails


@pytest.fixture
def rep1_with_email(users):
    users["rep1"].email = "rep1@example.com"
    users["rep1"].save()
    return users["rep1"]


def share(users, recipient):
    return notify(
        recipients=[recipient],
        kind="customer_shared",
        actor=users["rep2"],
        url="/customers/",
        params={"customer": "<b>杭州</b>"},
    )


@override_settings(CRM_NOTIFY_EMAIL=True, CRM_SITE_URL="https://crm.example.com")
def test_mail_goes_out_after_the_commit(
    users, rep1_with_email, django_capture_on_commit_callbacks
):
    # Given mail is configured
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        share(users, rep1_with_email)
        # Then nothing is sent while the transaction is open
        assert mail.outbox == []
    # And the task ran once the transaction committed
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["rep1@example.com"]
    assert sent.subject == "【客户管理】rep2 把客户 <b>杭州</b> 共享给了你"
    assert "https://crm.example.com/customers/" in sent.body
    assert Notification.objects.get().emailed_at is not None


@override_settings(CRM_NOTIFY_EMAIL=True)
def test_a_rolled_back_write_sends_nothing(
    users, rep1_with_email, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        share(users, rep1_with_email)
        raise RuntimeError
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


@override_settings(CRM_NOTIFY_EMAIL=False)
def test_no_mail_when_mail_is_not_configured(
    users, rep1_with_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        share(users, rep1_with_email)
    assert callbacks == []
    assert mail.outbox == []
    assert Notification.objects.get().emailed_at is None


def test_the_setting_follows_email_host_in_the_environment():
    import importlib
    import os
    from unittest import mock

    from crm.settings import base

    with mock.patch.dict(os.environ, {"EMAIL_HOST": "smtp.example.com"}):
        assert importlib.reload(base).CRM_NOTIFY_EMAIL is True
        assert base.MAILERS["default"]["OPTIONS"]["host"] == "smtp.example.com"
    with mock.patch.dict(os.environ, {}, clear=False):
        os.environ.pop("EMAIL_HOST", None)
        assert importlib.reload(base).CRM_NOTIFY_EMAIL is False


def test_each_notification_is_mailed_once_and_only_with_an_address(
    users, rep1_with_email
):
    share(users, rep1_with_email)
    share(users, users["service"])  # no e-mail address
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert send_notification_emails.call(ids) == 1
    assert send_notification_emails.call(ids) == 0
    assert len(mail.outbox) == 1


def test_a_failing_address_does_not_stop_the_others(users, rep1_with_email):
    users["service"].email = "service@example.com"
    users["service"].save()
    share(users, rep1_with_email)
    share(users, users["service"])
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    from unittest import mock

    real = mail.send_mail
    calls = []

    def flaky(subject, body, sender, to, **kwargs):
        calls.append(to)
        if to == ["rep1@example.com"]:
            raise OSError("mailbox unavailable")
        return real(subject, body, sender, to, **kwargs)

    with mock.patch("notifications.tasks.send_mail", flaky):
        assert send_notification_emails.call(ids) == 1
    assert len(calls) == 2
    assert [m.to for m in mail.outbox] == [["service@example.com"]]
