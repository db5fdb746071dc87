"""The sales targets page (/reports/targets/) and its services: managers set a
month's targets on one form, stale saves are refused, last month is copied."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import roles
from reports import services
from reports.models import SalesTarget
from reports.services import StaleTargets, TargetValue
from tests.factories import client_for, make_user

NOVEMBER = datetime.date(2026, 11, 1)
OCTOBER = datetime.date(2026, 10, 1)
URL = reverse("reports:targets")
PAGE = URL + "?month=2026-11"


def token(month=NOVEMBER) -> str:
    return services.targets_token(services.month_targets(month).values())


def save(actor, values, month=NOVEMBER):
    return services.targets_save(
        month=month, values=values, actor=actor, expected=token(month)
    )


def targets(month=NOVEMBER) -> dict:
    return {
        t.user.username: (t.won_amount, t.new_customers)
        for t in SalesTarget.objects.filter(month=month).select_related("user")
    }


def form_data(page_response, **fields) -> dict:
    """What the rendered form posts back, with `fields` typed in
    (amount_rep1="50万", customers_rep1="3")."""
    form = page_response.context["form"]
    data = {"token": form.initial["token"]}
    for user in form.users:
        target = form.targets.get(user.pk)
        data[f"amount_{user.pk}"] = str(target.won_amount) if target else ""
        data[f"customers_{user.pk}"] = (
            str(target.new_customers)
            if target and target.new_customers is not None
            else ""
        )
    names = {u.username: u.pk for u in form.users}
    for key, value in fields.items():
        kind, username = key.split("_", 1)
        data[f"{kind}_{names[username]}"] = value
    return data


# -- the page ------------------------------------------------------------------


def test_manager_sees_a_row_per_sales_user_with_the_saved_targets(client, users):
    # Given rep1 has a November target
    save(users["manager"], {users["rep1"].pk: TargetValue(Decimal("250000"), 4)})

    # when the manager opens November's targets
    response = client_for(client, users["manager"]).get(PAGE)

    # then every user of the sales roles has a row, the saved target filled in
    assert response.status_code == 200
    form = response.context["form"]
    assert [u.username for u in form.users] == ["admin", "manager", "rep1", "rep2"]
    html = response.content.decode()
    rep1 = users["rep1"].pk
    assert f'name="amount_{rep1}" value="250,000.00"' in html
    assert f'name="customers_{rep1}" value="4"' in html
    assert 'type="month"' in html and 'value="2026-11"' in html
    assert "?month=2026-10" in html and "?month=2026-12" in html
    assert "业绩目标" in html


def test_post_saves_amounts_typed_as_people_type_them(client, users):
    c = client_for(client, users["manager"])
    page = c.get(PAGE)

    response = c.post(
        PAGE,
        form_data(
            page, amount_rep1="50万", customers_rep1="3", amount_rep2="500,000.50"
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert targets() == {
        "rep1": (Decimal("500000.00"), 3),
        "rep2": (Decimal("500000.50"), None),
    }
    row = SalesTarget.objects.get(user=users["rep1"], month=NOVEMBER)
    assert row.updated_by == users["manager"]
    # and nothing leaks into other months
    assert targets(OCTOBER) == {}


def test_an_empty_amount_removes_the_target(client, users):
    save(
        users["manager"],
        {
            users["rep1"].pk: TargetValue(Decimal("1000"), 2),
            users["rep2"].pk: TargetValue(Decimal("2000")),
        },
    )
    c = client_for(client, users["manager"])
    page = c.get(PAGE)

    c.post(PAGE, form_data(page, amount_rep1="", customers_rep1=""))

    assert targets() == {"rep2": (Decimal("2000.00"), None)}


def test_invalid_input_is_shown_in_chinese_and_nothing_is_written(client, users):
    c = client_for(client, users["manager"])
    page = c.get(PAGE)

    response = c.post(
        PAGE,
        form_data(
            page,
            amount_rep1="50万",
            amount_rep2="五十万",
            amount_manager="-5",
            customers_admin="3",
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "请输入金额，例如 500000、500,000.00、¥500,000 或 50万。" in html
    assert "不能小于 0。" in html
    assert "填写成交金额目标后才能设置新增客户目标。" in html
    # the typed values stay in the form
    assert 'value="五十万"' in html
    assert targets() == {}


def test_a_stale_form_is_refused_and_keeps_the_users_input(client, users):
    # Given the manager opened the page before a colleague (the admin) saved
    save(users["admin"], {users["rep2"].pk: TargetValue(Decimal("1000"))})
    c = client_for(client, users["manager"])
    page = c.get(PAGE)
    save(
        users["admin"],
        {
            users["rep1"].pk: TargetValue(Decimal("300000"), 5),
            users["rep2"].pk: TargetValue(None),
        },
    )

    # when the manager saves what they typed
    response = c.post(PAGE, form_data(page, amount_rep1="80万", customers_rep1="2"))

    # then nothing is written, the colleague's targets are shown beside the
    # manager's input, which is kept
    assert response.status_code == 200
    assert targets() == {"rep1": (Decimal("300000.00"), 5)}
    html = response.content.decode()
    assert "同事" in html
    rep1 = users["rep1"].pk
    assert f'name="amount_{rep1}" value="80万"' in html
    assert "¥300,000.00" in html

    # and saving the page as it came back applies the manager's input
    again = response.context["form"].data.copy()
    response = c.post(PAGE, again)
    assert response.status_code == 302
    assert targets() == {
        "rep1": (Decimal("800000.00"), 2),
        "rep2": (Decimal("1000.00"), None),
    }


def test_copy_fills_the_month_from_the_previous_one_without_overwriting(client, users):
    save(
        users["manager"],
        {
            users["rep1"].pk: TargetValue(Decimal("100000"), 3),
            users["rep2"].pk: TargetValue(Decimal("200000")),
        },
        month=OCTOBER,
    )
    save(users["manager"], {users["rep2"].pk: TargetValue(Decimal("5"))})
    c = client_for(client, users["manager"])

    response = c.post(PAGE, {"action": "copy"})

    assert response.status_code == 302
    assert targets() == {
        "rep1": (Decimal("100000.00"), 3),
        "rep2": (Decimal("5.00"), None),
    }
    page = c.get(PAGE)
    assert "已从上月复制 1 个目标。" in page.content.decode()
    # copying again finds nothing left to copy
    c.post(PAGE, {"action": "copy"})
    assert len(targets()) == 2


@pytest.mark.parametrize("role", ["rep1", "service", "success"])
def test_other_roles_get_403(client, users, role):
    c = client_for(client, users[role])

    assert c.get(PAGE).status_code == 403
    assert c.post(PAGE, {"action": "copy"}).status_code == 403
    assert targets() == {}


def test_html_typed_into_a_field_or_a_name_is_shown_as_text(client, users):
    rep1 = users["rep1"]
    rep1.first_name = "<b>芳</b>"
    rep1.save()
    c = client_for(client, users["manager"])
    page = c.get(PAGE)

    response = c.post(PAGE, form_data(page, amount_rep2="<script>alert(1)</script>"))

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>芳</b>" not in html
    assert "&lt;b&gt;芳&lt;/b&gt;" in html
    assert targets() == {}


@pytest.mark.parametrize("month", ["abc", "2026-13", "2026-00", "1900-01", ""])
def test_a_malformed_month_shows_this_month(client, users, month):
    response = client_for(client, users["manager"]).get(URL + f"?month={month}")

    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)


def test_a_post_to_a_malformed_month_is_refused(client, users):
    response = client_for(client, users["manager"]).post(
        URL + "?month=2026-13", {"action": "copy"}
    )

    assert response.status_code == 400
    assert SalesTarget.objects.count() == 0


def test_users_missing_from_the_post_keep_their_targets(client, users):
    save(users["manager"], {users["rep2"].pk: TargetValue(Decimal("7"))})
    c = client_for(client, users["manager"])
    page = c.get(PAGE)
    data = {
        k: v
        for k, v in form_data(page, amount_rep1="10").items()
        if not k.endswith(f"_{users['rep2'].pk}")
    }

    c.post(PAGE, data)

    assert targets() == {
        "rep1": (Decimal("10.00"), None),
        "rep2": (Decimal("7.00"), None),
    }


def test_page_lists_a_former_rep_who_still_has_a_target(client, users):
    save(users["manager"], {users["rep2"].pk: TargetValue(Decimal("7"))})
    users["rep2"].is_active = False
    users["rep2"].save()

    page = client_for(client, users["manager"]).get(PAGE)

    assert "rep2" in [u.username for u in page.context["form"].users]


# -- the services -------------------------------------------------------------


def test_save_refuses_a_stale_token_and_writes_nothing(users):
    old = token()
    save(users["manager"], {users["rep1"].pk: TargetValue(Decimal("1"))})

    with pytest.raises(StaleTargets):
        services.targets_save(
            month=NOVEMBER,
            values={users["rep2"].pk: TargetValue(Decimal("2"))},
            actor=users["manager"],
            expected=old,
        )
    assert targets() == {"rep1": (Decimal("1.00"), None)}


def test_save_is_all_or_nothing(users):
    with pytest.raises(ValidationError):
        save(
            users["manager"],
            {
                users["rep1"].pk: TargetValue(Decimal("1")),
                users["rep2"].pk: TargetValue(Decimal("-1")),
            },
        )
    assert targets() == {}


def test_save_refuses_users_outside_the_sales_roles(users):
    with pytest.raises(ValidationError):
        save(users["manager"], {users["service"].pk: TargetValue(Decimal("1"))})
    assert targets() == {}


def test_only_managers_and_admins_set_targets(users):
    with pytest.raises(PermissionDenied):
        save(users["rep1"], {users["rep1"].pk: TargetValue(Decimal("1"))})
    with pytest.raises(PermissionDenied):
        services.targets_copy(month=NOVEMBER, actor=users["rep1"])
    assert SalesTarget.objects.count() == 0


def test_copy_leaves_out_inactive_users(users):
    save(
        users["manager"],
        {
            users["rep1"].pk: TargetValue(Decimal("1")),
            users["rep2"].pk: TargetValue(Decimal("2")),
        },
        month=OCTOBER,
    )
    users["rep2"].is_active = False
    users["rep2"].save()

    copied = services.targets_copy(month=NOVEMBER, actor=users["manager"])

    assert copied == 1
    assert targets() == {"rep1": (Decimal("1.00"), None)}


def test_a_target_created_by_a_colleague_after_the_check_is_stale(users, monkeypatch):
    # Given a colleague's first target of the month lands after this save
    # read the (then empty) month: nothing was there to lock
    real = services.target_users

    def colleague_saves_meanwhile(month):
        SalesTarget.objects.create(
            user=users["rep1"], month=month, won_amount=Decimal("9")
        )
        return real(month)

    monkeypatch.setattr(services, "target_users", colleague_saves_meanwhile)

    # then the save is refused as stale rather than failing
    with pytest.raises(StaleTargets):
        save(users["manager"], {users["rep1"].pk: TargetValue(Decimal("1"))})


def test_a_colleagues_target_for_a_new_rep_survives_the_stale_round(client, users):
    # Given the manager's page was rendered before rep3 joined the sales team
    # and a colleague gave rep3 a target
    c = client_for(client, users["manager"])
    page = c.get(PAGE)
    rep3 = make_user("rep3", roles.SALES_REP)
    save(users["admin"], {rep3.pk: TargetValue(Decimal("42"))})

    # when the manager's save is refused and the page comes back
    response = c.post(PAGE, form_data(page, amount_rep1="10"))
    assert "同事" in response.content.decode()

    # then saving it again keeps rep3's target
    c.post(PAGE, response.context["form"].data.copy())
    assert targets() == {
        "rep1": (Decimal("10.00"), None),
        "rep3": (Decimal("42.00"), None),
    }


def test_the_page_costs_the_same_queries_for_more_users(
    client, users, django_assert_max_num_queries
):
    c = client_for(client, users["manager"])
    save(users["manager"], {users["rep1"].pk: TargetValue(Decimal("1"), 1)})
    with CaptureQueriesContext(connection) as captured:
        assert c.get(PAGE).status_code == 200

    for i in range(5):
        rep = make_user(f"rep-more-{i}", roles.SALES_REP)
        save(users["manager"], {rep.pk: TargetValue(Decimal(i), i)})

    with django_assert_max_num_queries(len(captured)):
        response = c.get(PAGE)
    assert len(response.context["form"].users) == 9
