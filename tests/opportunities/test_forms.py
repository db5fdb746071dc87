"""Creating and editing a deal: amounts as people type them, the probability's
default, who may choose the owner, forged customers, stale edits."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import CustomField
from opportunities import services
from opportunities.models import Opportunity, Stage
from tests.factories import client_for, make_opportunity


def new_url(customer=None) -> str:
    url = reverse("opportunities:opportunity_create")
    return f"{url}?customer={customer.customer_no}" if customer else url


def edit_url(opp) -> str:
    return reverse("opportunities:opportunity_update", args=[opp.opp_no])


def create_data(for_customer, **extra) -> dict:
    data = {
        "customer": for_customer.customer_no,
        "name": "CRM 二期",
        "stage": Stage.LEAD,
        "amount": "50万",
        "expected_close_date": "2030/6/30",
        "probability": "",
        "competitor": "销售易",
        "competitor_focus": "价格",
    }
    data.update(extra)
    return data


def edit_data(client, opp, **changes) -> dict:
    """What the edit form posts, as loaded, plus `changes`."""
    form = client.get(edit_url(opp)).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("loaded", "version"):
            data[name] = value
            continue
        data[name] = field.widget.format_value(value) if value is not None else ""
    data.update(changes)
    return {k: ("" if v is None else v) for k, v in data.items()}


def test_a_rep_creates_a_deal_from_the_customer_page(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    page = c.get(new_url(rep1_customer))
    assert page.status_code == 200
    html = page.content.decode()
    assert rep1_customer.name in html
    assert 'name="owner"' not in html
    response = c.post(new_url(rep1_customer), create_data(rep1_customer))
    opp = Opportunity.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(opp)
    assert (opp.amount, opp.probability, opp.owner) == (
        Decimal("500000.00"),
        10,
        users["rep1"],
    )
    assert str(opp.expected_close_date) == "2030-06-30"
    assert opp.customer == rep1_customer and opp.stage == Stage.LEAD


def detail(opp) -> str:
    return opp.get_absolute_url()


@pytest.mark.parametrize(
    "amount, stored", [("¥500,000.00", "500000.00"), ("1.5亿", "150000000.00")]
)
def test_amounts_as_people_type_them(client, users, rep1_customer, amount, stored):
    c = client_for(client, users["rep1"])
    c.post(new_url(rep1_customer), create_data(rep1_customer, amount=amount))
    assert Opportunity.objects.get().amount == Decimal(stored)


def test_the_initial_stage_sets_the_default_probability(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    c.post(new_url(rep1_customer), create_data(rep1_customer, stage=Stage.PROPOSAL))
    opp = Opportunity.objects.get()
    assert (opp.stage, opp.probability) == (Stage.PROPOSAL, 40)
    assert opp.stage_changes.get().to_stage == Stage.PROPOSAL


def test_a_typed_probability_is_kept(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    c.post(new_url(rep1_customer), create_data(rep1_customer, probability="35"))
    assert Opportunity.objects.get().probability == 35


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"probability": "101"}, "probability"),
        ({"probability": "-1"}, "probability"),
        ({"name": ""}, "name"),
        ({"expected_close_date": "明天"}, "expected_close_date"),
        ({"stage": Stage.WON}, "stage"),
        ({"stage": Stage.LOST}, "stage"),
    ],
)
def test_bad_input_is_an_error_next_to_its_field(
    client, users, rep1_customer, extra, field
):
    c = client_for(client, users["rep1"])
    response = c.post(new_url(rep1_customer), create_data(rep1_customer, **extra))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field], form.errors
    assert list(form.errors) == [field], form.errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Opportunity.objects.exists()


def test_errors_are_in_chinese(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    response = c.post(new_url(rep1_customer), create_data(rep1_customer, amount="abc"))
    assert "50万" in response.context["form"].errors["amount"][0]
    assert "Enter" not in response.context["form"].errors["amount"][0]


def test_a_forged_customer_is_refused_like_a_missing_one(
    client, users, rep1_customer, rep2_customer
):
    c = client_for(client, users["rep1"])
    # The form opened on rep1's customer, rep2's customer number posted
    response = c.post(new_url(rep1_customer), create_data(rep2_customer))
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    missing = c.post(new_url(), create_data(rep1_customer, customer="C20990101001"))
    assert (
        missing.context["form"].errors["customer"]
        == response.context["form"].errors["customer"]
    )
    # Opened on rep2's customer directly: a 404
    assert c.get(new_url(rep2_customer)).status_code == 404
    assert c.post(new_url(rep2_customer), create_data(rep2_customer)).status_code == 404
    assert not Opportunity.objects.exists()


def test_without_a_customer_in_the_address_the_id_is_typed(
    client, users, rep1_customer
):
    c = client_for(client, users["rep1"])
    page = c.get(new_url())
    assert page.status_code == 200
    assert 'id="id_customer"' in page.content.decode()
    data = create_data(rep1_customer, customer=rep1_customer.customer_no.lower())
    assert c.post(new_url(), data).status_code == 302
    assert Opportunity.objects.get().customer == rep1_customer


@pytest.mark.parametrize("role", ["service", "success"])
def test_roles_without_deals_may_not_create(client, users, rep1_customer, role):
    c = client_for(client, users[role])
    assert c.get(new_url(rep1_customer)).status_code == 403
    assert c.post(new_url(rep1_customer), create_data(rep1_customer)).status_code == 403


def test_a_posted_owner_is_ignored_for_reps(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    data = create_data(rep1_customer, owner=users["rep2"].pk)
    assert c.post(new_url(rep1_customer), data).status_code == 302
    assert Opportunity.objects.get().owner == users["rep1"]


def test_a_manager_chooses_the_owner_among_those_who_see_the_customer(
    client, users, rep1_customer
):
    c = client_for(client, users["manager"])
    form = c.get(new_url(rep1_customer)).context["form"]
    choices = set(form.fields["owner"].queryset.values_list("username", flat=True))
    # rep2 cannot see rep1's customer; service and success own no deals
    assert "rep1" in choices and "rep2" not in choices and "service" not in choices
    refused = c.post(
        new_url(rep1_customer), create_data(rep1_customer, owner=users["rep2"].pk)
    )
    assert refused.context["form"].errors["owner"]
    response = c.post(
        new_url(rep1_customer), create_data(rep1_customer, owner=users["rep1"].pk)
    )
    assert response.status_code == 302
    assert Opportunity.objects.get().owner == users["rep1"]


def test_html_in_the_name_is_shown_as_text(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    data = create_data(rep1_customer, name="<script>alert(1)</script>")
    response = c.post(new_url(rep1_customer), data, follow=True)
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_custom_fields_are_on_the_form(client, users, rep1_customer):
    CustomField.objects.create(
        target=CustomField.Target.OPPORTUNITY,
        key="budget_source",
        label="预算来源",
        field_type=CustomField.Type.TEXT,
    )
    c = client_for(client, users["rep1"])
    data = create_data(rep1_customer, cf_budget_source="<b>自筹</b>")
    assert c.post(new_url(rep1_customer), data).status_code == 302
    opp = Opportunity.objects.get()
    assert opp.custom == {"budget_source": "<b>自筹</b>"}
    html = c.get(detail(opp)).content.decode()
    assert "预算来源" in html and "&lt;b&gt;自筹&lt;/b&gt;" in html


def test_the_owner_edits_the_deal(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer, probability=None)
    c = client_for(client, users["rep1"])
    assert 'name="owner"' not in c.get(edit_url(opp)).content.decode()
    data = edit_data(c, opp, name="改名后", amount="12万", probability="")
    response = c.post(edit_url(opp), data)
    assert response.status_code == 302, response.context["form"].errors
    opp.refresh_from_db()
    assert (opp.name, opp.amount, opp.probability) == (
        "改名后",
        Decimal("120000.00"),
        10,
    )


def test_an_empty_probability_takes_the_stage_default_on_edit(
    client, users, rep1_customer
):
    opp = make_opportunity(
        users["rep1"], rep1_customer, stage=Stage.NEGOTIATION, probability=75
    )
    assert opp.probability == 75
    c = client_for(client, users["rep1"])
    c.post(edit_url(opp), edit_data(c, opp, probability=""))
    opp.refresh_from_db()
    assert opp.probability == 60


def test_a_posted_owner_is_ignored_on_a_reps_edit(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer)
    c = client_for(client, users["rep1"])
    data = edit_data(c, opp, owner=users["manager"].pk, name="新名字")
    assert c.post(edit_url(opp), data).status_code == 302
    opp.refresh_from_db()
    assert (opp.owner, opp.name) == (users["rep1"], "新名字")


def test_a_manager_reassigns_on_edit(client, users, rep1_customer):
    from customers import services as customer_services

    customer_services.customer_share(
        actor=users["rep1"], customer=rep1_customer, user=users["rep2"], level="view"
    )
    opp = make_opportunity(users["rep1"], rep1_customer)
    c = client_for(client, users["manager"])
    data = edit_data(c, opp, owner=users["rep2"].pk)
    assert c.post(edit_url(opp), data).status_code == 302
    opp.refresh_from_db()
    assert opp.owner == users["rep2"]


def test_a_stale_edit_is_refused_and_shows_their_changes(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer, name="原名")
    c = client_for(client, users["rep1"])
    data = edit_data(c, opp, name="我改的")
    services.opportunity_update(
        actor=users["manager"],
        opportunity=opp,
        data={"name": "经理改的"},
        expected_version=opp.version,
    )
    response = c.post(edit_url(opp), data)
    assert response.status_code == 200
    opp.refresh_from_db()
    assert opp.name == "经理改的"
    assert response.context["stale_entries"]
    html = response.content.decode()
    assert "经理改的" in html and 'role="alert"' in html


def test_a_stale_stage_move_makes_the_edit_stale_too(client, users, rep1_customer):
    opp = make_opportunity(users["rep1"], rep1_customer)
    c = client_for(client, users["rep1"])
    data = edit_data(c, opp, competitor="金蝶")
    services.opportunity_move(
        actor=users["manager"],
        opportunity=opp,
        stage=Stage.ANALYSIS,
        expected_version=opp.version,
    )
    response = c.post(edit_url(opp), data)
    assert response.status_code == 200
    opp.refresh_from_db()
    assert opp.competitor != "金蝶" and opp.stage == Stage.ANALYSIS


def test_a_won_deals_amount_cannot_fall_below_what_was_received(
    client, users, rep1_customer
):
    import datetime

    opp = make_opportunity(users["rep1"], rep1_customer, stage=Stage.WON)
    services.payment_add(
        actor=users["rep1"],
        opportunity=opp,
        data={
            "amount": Decimal("60000"),
            "received_on": datetime.date.today(),
            "method": "bank",
            "note": "",
        },
    )
    c = client_for(client, users["rep1"])
    response = c.post(edit_url(opp), edit_data(c, opp, amount="5万"))
    assert response.status_code == 200
    assert "60,000.00" in response.context["form"].errors["amount"][0]
    opp.refresh_from_db()
    assert opp.amount == Decimal("100000.00")


@pytest.mark.parametrize("role", ["rep2", "service"])
def test_others_may_not_edit(client, users, rep1_customer, role):
    opp = make_opportunity(users["rep1"], rep1_customer)
    c = client_for(client, users[role])
    assert c.get(edit_url(opp)).status_code == 404
    assert c.post(edit_url(opp), {"name": "x"}).status_code == 404


def test_a_manager_typing_the_customer_gets_the_owner_checked(
    client, users, rep1_customer
):
    c = client_for(client, users["manager"])
    form = c.get(new_url()).context["form"]
    choices = set(form.fields["owner"].queryset.values_list("username", flat=True))
    assert {"rep1", "rep2", "manager"} <= choices and "service" not in choices
    refused = c.post(new_url(), create_data(rep1_customer, owner=users["rep2"].pk))
    assert refused.status_code == 200
    assert "rep2" in refused.context["form"].errors["owner"][0]
    assert not Opportunity.objects.exists()
