"""notify(): who gets a notification, idempotency, and how it reads."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from notifications.models import Notification
from notifications.services import mark_all_read, notify
from tests.factories import make_user


def assigned(recipients, actor, **kwargs) -> int:
    kwargs.setdefault("params", {"ticket_no": "S20261129001"})
    return notify(recipients=recipients, kind="ticket_assigned", actor=actor, **kwargs)


def test_each_recipient_gets_one(users):
    # Given two recipients
    # When an event notifies both
    created = assigned([users["rep1"], users["service"]], users["admin"])
    # Then each has exactly one notification, unread
    assert created == 2
    for name in ("rep1", "service"):
        mine = Notification.objects.for_user(users[name])
        assert mine.count() == 1
        assert mine.get().read_at is None


def test_the_actor_is_never_notified_of_their_own_action(users):
    created = assigned([users["rep1"], users["rep2"]], users["rep1"])
    assert created == 1
    assert not Notification.objects.filter(recipient=users["rep1"]).exists()
    assert Notification.objects.filter(recipient=users["rep2"]).exists()


def test_inactive_users_are_skipped(users):
    users["rep2"].is_active = False
    users["rep2"].save()
    created = assigned([users["rep1"], users["rep2"].pk], users["admin"])
    assert created == 1
    assert not Notification.objects.filter(recipient=users["rep2"]).exists()


def test_a_key_makes_it_idempotent_per_recipient(users):
    # Given a keyed notification for rep1
    assert assigned([users["rep1"]], None, key="t:1") == 1
    # When the same key is used again, now with rep2 as well
    again = assigned([users["rep1"], users["rep2"]], None, key="t:1")
    # Then only rep2's is new
    assert again == 1
    assert Notification.objects.filter(key="t:1").count() == 2
    # And without a key, repeats are separate notifications
    assigned([users["rep1"]], None)
    assigned([users["rep1"]], None)
    assert Notification.objects.filter(recipient=users["rep1"]).count() == 3


def test_many_recipients_are_one_insert(users):
    few = [make_user(f"few{i}", None) for i in range(2)]
    many = [make_user(f"many{i}", None) for i in range(40)]

    def count(recipients, key):
        with CaptureQueriesContext(connection) as ctx:
            assigned(recipients, users["admin"], key=key)
        return len(ctx.captured_queries)

    assert count(few, "a") == count(many, "b") <= 3
    assert count(few, None) == count(many, None) <= 2
    assert Notification.objects.filter(key="b").count() == 40


def test_unknown_kinds_and_foreign_links_are_refused(users):
    with pytest.raises(ValueError):
        notify(recipients=[users["rep1"]], kind="no_such_kind")
    for url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            notify(recipients=[users["rep1"]], kind="customer_shared", url=url)
    assert not Notification.objects.exists()


def test_the_message_is_rendered_in_the_readers_language(users):
    users["admin"].first_name = "陈静"
    users["admin"].save()
    assigned([users["rep1"]], users["admin"])
    n = Notification.objects.get()
    with translation.override("zh-hans"):
        assert n.message == "陈静 把工单 S20261129001 指派给了你"
    with translation.override("en"):
        assert n.message == "陈静 assigned ticket S20261129001 to you"


def test_one_notification_for_many_customers_reads_as_a_count(users):
    notify(
        recipients=[users["rep1"]],
        kind="customer_reassigned",
        actor=users["manager"],
        params={"count": 12},
    )
    n = Notification.objects.get()
    with translation.override("zh-hans"):
        assert n.message == "manager 把 12 个客户转给了你"
    with translation.override("en"):
        assert n.message == "manager transferred 12 customers to you"


def test_the_actor_name_survives_the_account(users):
    gone = make_user("zhang", None)
    gone.first_name = "张三"
    gone.save()
    assigned([users["rep1"]], gone)
    User.objects.filter(pk=gone.pk).delete()
    with translation.override("zh-hans"):
        assert Notification.objects.get().message.startswith("张三 把工单")


def test_missing_params_render_empty_not_an_error(users):
    notify(recipients=[users["rep1"]], kind="followup_overdue")
    with translation.override("zh-hans"):
        assert Notification.objects.get().message == "客户  的跟进计划已逾期："


def test_the_target_gives_the_link_and_a_text_reference(users, rep1_customer):
    notify(
        recipients=[users["rep2"]],
        kind="customer_shared",
        actor=users["rep1"],
        target=rep1_customer,
        params={"customer": rep1_customer.name},
    )
    n = Notification.objects.get()
    assert n.target == rep1_customer
    assert n.url == rep1_customer.get_absolute_url()
    assert n.target_ref == str(rep1_customer)


def test_mark_all_read_touches_only_my_own(users):
    assigned([users["rep1"], users["rep2"]], users["admin"])
    assert mark_all_read(user=users["rep1"]) == 1
    assert Notification.objects.get(recipient=users["rep1"]).read_at is not None
    assert Notification.objects.get(recipient=users["rep2"]).read_at is None


def test_nobody_reads_anothers_notifications_not_even_a_superuser(users):
    assigned([users["rep1"]], users["admin"])
    root = User.objects.create_superuser("root", password="x-12345-pw")
    assert not Notification.objects.for_user(root).exists()
    assert not Notification.objects.for_user(users["admin"], "change").exists()
    assert Notification.objects.for_user(users["rep1"], "change").count() == 1
    assert not Notification.objects.for_user(users["rep1"], "delete").exists()
