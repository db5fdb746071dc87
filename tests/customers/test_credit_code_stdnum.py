"""Credit codes are checked by python-stdnum's `cn.uscc` (GB 32100-2015)."""

import random

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import uscc

from customers.validators import (
    CREDIT_CODE_CHARS,
    credit_code_check_char,
    validate_credit_code,
)
from tests.factories import valid_code

# The hand-written check digit the project used before stdnum, kept here only
# as the oracle stdnum is compared with.
OLD_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def old_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w
        for c, w in zip(first17, OLD_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def random_body(rng: random.Random) -> str:
    """Registering authority, entity type and region (8 digits), then the
    9-character organisation code from the code's alphabet."""
    head = "".join(rng.choice("0123456789") for _ in range(8))
    return head + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(9))


def test_stdnum_agrees_with_the_old_check_digit_on_20000_codes():
    rng = random.Random(32100)
    for _ in range(20_000):
        body = random_body(rng)
        check = old_check_char(body)
        assert uscc.calc_check_digit(body) == check, body
        assert credit_code_check_char(body) == check, body
        # The whole code passes stdnum and the project's validator.
        assert uscc.is_valid(body + check), body
        validate_credit_code(body + check)


def test_a_wrong_check_digit_is_refused_on_every_path():
    rng = random.Random(7)
    for _ in range(500):
        body = random_body(rng)
        wrong = next(c for c in CREDIT_CODE_CHARS if c != old_check_char(body))
        with pytest.raises(ValidationError) as exc:
            validate_credit_code(body + wrong)
        assert exc.value.error_list[0].code == "checksum"


@pytest.mark.parametrize(
    "body17",
    [
        "9133A100799655058",  # a letter in the region code
        "91X30100799655058",  # a letter at the region code's start
        "913301Y0799655058",  # a letter at its end
        "AX330100799655058",  # a letter as the entity type
    ],
)
def test_malformed_region_digits_are_refused(body17):
    # The check character is right, so only the format rule refuses it
    # (the old validator accepted these).
    code = body17 + old_check_char(body17)
    assert all(c in CREDIT_CODE_CHARS for c in code)
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.error_list[0].code == "region"
    assert "第 2 至 8 位" in str(exc.value.messages[0])  # in Chinese, the default


@pytest.mark.parametrize("authority", ["A", "N", "Y"])
def test_authorities_coded_by_letter_are_accepted(authority):
    # GB 32100: e.g. N for agricultural collectives, Y for the others.
    body = authority + "2330100799655058"
    validate_credit_code(body + old_check_char(body))
    wrong = next(c for c in CREDIT_CODE_CHARS if c != old_check_char(body))
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(body + wrong)
    assert exc.value.error_list[0].code == "checksum"


def test_real_codes_and_the_factory_codes_pass():
    validate_credit_code("91330100799655058B")  # Alibaba (China) Co., Ltd.
    validate_credit_code("91110000600037341L")  # stdnum's own example
    validate_credit_code(valid_code())


@pytest.mark.django_db
def test_the_form_refuses_malformed_region_digits_next_to_the_field(users, client):
    from tests.factories import client_for, customer_form_data

    body = "9133A100799655058"
    response = client_for(client, users["rep1"]).post(
        "/customers/new/",
        customer_form_data(credit_code=body + old_check_char(body)),
    )
    assert response.status_code == 200
    assert "第 2 至 8 位" in " ".join(response.context["form"].errors["credit_code"])
