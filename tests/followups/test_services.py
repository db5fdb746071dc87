"""Follow-up services: role rules, plans, history, the customer's last follow-up."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm import history
from crm.features import StaleEdit
from customers.models import Customer
from followups import services
from followups.models import FollowUp
from tests.factories import make_followup


def ago(**kw) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kw)


def later(**kw) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**kw)


def last_followup(customer) -> datetime.datetime | None:
    return Customer.objects.get(pk=customer.pk).last_followup_at


def test_a_rep_logs_on_their_customer_as_themselves(users, rep1_customer):
    # When rep1 logs a follow-up without a time
    f = make_followup(users["rep1"], rep1_customer)
    # Then it is rep1's, numbered, timed now and recorded in the history
    assert f.user == users["rep1"]
    assert f.record_no.startswith("F") and len(f.record_no) == 12
    assert abs((timezone.now() - f.occurred_at).total_seconds()) < 5
    assert history.entries_for(f).get().action == "create"
    assert last_followup(rep1_customer) == f.occurred_at


def test_no_follow_up_on_a_customer_the_actor_cannot_see(users, rep2_customer):
    with pytest.raises(PermissionDenied):
        make_followup(users["rep1"], rep2_customer)
    assert not FollowUp.objects.exists()


def test_customer_service_may_not_log(users, rep1_customer):
    with pytest.raises(PermissionDenied):
        make_followup(users["service"], rep1_customer)


def test_a_rep_cannot_log_for_a_colleague(users, rep1_customer):
    with pytest.raises(ValidationError) as exc:
        make_followup(users["rep1"], rep1_customer, user=users["rep2"])
    assert "user" in exc.value.error_dict


def test_a_manager_logs_for_a_rep_who_sees_the_customer(users, rep1_customer):
    f = make_followup(users["manager"], rep1_customer, user=users["rep1"])
    assert f.user == users["rep1"]
    # …but not for a rep who cannot see the customer
    with pytest.raises(ValidationError) as exc:
        make_followup(users["manager"], rep1_customer, user=users["rep2"])
    assert "user" in exc.value.error_dict


def test_a_plan_needs_a_time_and_an_owner_who_sees_the_customer(users, rep1_customer):
    rep1 = users["rep1"]
    with pytest.raises(ValidationError) as exc:
        make_followup(rep1, rep1_customer, next_goal="报价")
    assert {"next_at", "next_owner"} <= set(exc.value.error_dict)
    with pytest.raises(ValidationError) as exc:
        make_followup(
            rep1, rep1_customer, next_at=later(days=1), next_owner=users["rep2"]
        )
    assert set(exc.value.error_dict) == {"next_owner"}
    f = make_followup(rep1, rep1_customer, next_at=later(days=1), next_owner=rep1)
    assert f.next_owner == rep1 and not f.next_done


def test_last_followup_follows_create_update_delete_restore(users, rep1_customer):
    rep1, admin = users["rep1"], users["admin"]
    old = make_followup(rep1, rep1_customer, occurred_at=ago(days=10))
    new = make_followup(rep1, rep1_customer, occurred_at=ago(days=2))
    version = Customer.objects.get(pk=rep1_customer.pk).version
    assert last_followup(rep1_customer) == new.occurred_at
    # An edit moving the newer one back in time
    new = services.followup_update(
        actor=rep1,
        followup=new,
        data={"occurred_at": ago(days=20)},
        expected_version=new.version,
    )
    assert last_followup(rep1_customer) == old.occurred_at
    services.followup_delete(actor=admin, followup=old)
    assert last_followup(rep1_customer) == new.occurred_at
    services.followup_delete(actor=admin, followup=FollowUp.objects.get(pk=new.pk))
    assert last_followup(rep1_customer) is None
    services.followup_restore(actor=admin, followup=FollowUp.objects.get(pk=old.pk))
    assert last_followup(rep1_customer) == old.occurred_at
    # Logging is not an edit of the customer: its version did not move
    assert Customer.objects.get(pk=rep1_customer.pk).version == version


def test_update_is_refused_when_stale_or_not_the_writers(users, rep1_customer):
    f = make_followup(users["rep1"], rep1_customer)
    services.followup_update(
        actor=users["rep1"], followup=f, data={"content": "改"}, expected_version=1
    )
    with pytest.raises(StaleEdit):
        services.followup_update(
            actor=users["rep1"],
            followup=f,
            data={"content": "再改"},
            expected_version=1,
        )
    with pytest.raises(PermissionDenied):
        services.followup_update(
            actor=users["service"],
            followup=f,
            data={"content": "x"},
            expected_version=2,
        )
    assert FollowUp.objects.get(pk=f.pk).content == "改"
    entry = history.entries_for(f).filter(action="update").get()
    assert entry.changes == [
        {"field": "content", "old": "电话沟通采购计划", "new": "改"}
    ]


def test_log_from_plan_creates_and_completes_in_one_go(users, rep1_customer):
    rep1 = users["rep1"]
    plan = make_followup(
        rep1, rep1_customer, next_at=later(hours=1), next_owner=rep1, next_goal="报价"
    )
    done = services.followup_log_from_plan(
        actor=rep1, plan=plan, data={"method": "meeting", "content": "面谈报价"}
    )
    plan.refresh_from_db()
    assert plan.next_done and plan.version == 2
    assert done.customer == rep1_customer and done.method == "meeting"
    # A second time: the plan is done already, nothing is logged
    with pytest.raises(ValidationError):
        services.followup_log_from_plan(
            actor=rep1, plan=plan, data={"method": "phone", "content": "again"}
        )
    assert FollowUp.objects.count() == 2


def test_log_from_plan_rolls_back_when_the_follow_up_is_invalid(users, rep1_customer):
    rep1 = users["rep1"]
    plan = make_followup(rep1, rep1_customer, next_at=later(hours=1), next_owner=rep1)
    with pytest.raises(ValidationError):
        services.followup_log_from_plan(
            actor=rep1, plan=plan, data={"method": "phone", "content": ""}
        )
    plan.refresh_from_db()
    assert not plan.next_done and FollowUp.objects.count() == 1


def test_who_may_complete_a_plan(users, rep1_customer):
    rep1 = users["rep1"]
    # rep1 plans a follow-up for the success manager, who may see the customer
    Customer.objects.filter(pk=rep1_customer.pk).update(
        success_manager=users["success"]
    )
    plan = make_followup(
        rep1, rep1_customer, next_at=later(hours=1), next_owner=users["success"]
    )
    for role in ("service", "rep2"):
        with pytest.raises(PermissionDenied):
            services.followup_complete_plan(actor=users[role], followup=plan)
    services.followup_complete_plan(actor=users["success"], followup=plan)
    assert FollowUp.objects.get(pk=plan.pk).next_done
