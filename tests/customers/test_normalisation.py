"""Input is normalised by the model once, whichever path it comes in by."""

from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import services
from customers.models import Customer
from customers.validators import credit_code_check_char
from tests.factories import client_for, customer_form_data

CODE = "91310000MA1K4" + "AB9C"
CODE += credit_code_check_char(CODE)


def spaced(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, 18, 4)).lower()


def test_the_service_stores_a_pasted_credit_code_and_name_normalised(
    users, make_customer
):
    customer = make_customer(
        users["rep1"], name="  上海　新星   科技有限公司 ", credit_code=spaced(CODE)
    )
    customer.refresh_from_db()
    assert customer.credit_code == CODE
    assert customer.name == "上海 新星 科技有限公司"


def test_the_form_accepts_a_credit_code_pasted_with_spaces(client, users):
    # Given rep1 pastes a code with spaces and in lower case
    data = customer_form_data(name="粘贴代码有限公司", credit_code=spaced(CODE))
    data["owner"] = users["rep1"].pk

    # When the form is sent
    client_for(client, users["rep1"]).post(reverse("customers:customer_create"), data)

    # Then the customer is saved with the code as it should be
    assert Customer.objects.get(name="粘贴代码有限公司").credit_code == CODE


def test_the_service_normalises_and_checks_contact_phones(users, make_customer):
    customer = make_customer(
        users["rep1"], contacts=[services.ContactData(name="甲", phone="138 1234 5678")]
    )
    assert customer.contacts.get().phone == "13812345678"
    try:
        make_customer(
            users["rep1"], contacts=[services.ContactData(name="乙", phone="12345")]
        )
    except ValidationError as exc:
        assert "phone" in exc.message_dict
    else:
        raise AssertionError("an invalid phone was stored")
