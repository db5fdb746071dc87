"""Amounts, dates and phones read the way people type them (crm.parsing)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from crm import parsing
from crm.fields import AmountField, DateField, EmailField
from customers.validators import normalize_phone


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("500000", "500000"),
        ("500,000.00", "500000.00"),
        ("1,234,567.89", "1234567.89"),
        ("¥500,000", "500000"),
        ("￥500,000", "500000"),
        ("RMB 1,200", "1200"),
        ("人民币800元", "800"),
        ("500000元", "500000"),
        ("50万", "500000"),
        ("50万元", "500000"),
        ("￥５０万元", "500000"),
        ("1.5万", "15000"),
        ("0.35万", "3500"),
        ("1.5亿", "150000000"),
        ("3千", "3000"),
        ("１２３４．５６", "1234.56"),  # full-width digits and point
        ("１２，３４５", "12345"),  # full-width comma
        ("  12 345  ", "12345"),
        ("\u300012.5\u3000", "12.5"),  # ideographic spaces
        ("-12.5", "-12.5"),
        (".5", "0.5"),
        ("0", "0"),
    ],
)
def test_amounts_are_read_as_typed(typed, amount):
    parsed = parsing.parse_amount(typed)
    assert parsed == Decimal(amount)
    # Never in exponent form: stored as text in custom fields and exports.
    assert "E" not in str(parsed)


def test_numbers_pass_through_as_decimals():
    assert parsing.parse_amount(12) == Decimal(12)
    assert parsing.parse_amount(Decimal("3.50")) == Decimal("3.50")
    assert parsing.parse_amount(0.1) == Decimal("0.1")  # not 0.1000000000000000055…


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "abc",
        "五十万",  # Chinese numerals
        "1e5",
        "1E+8",
        "500,00",  # a European decimal comma, or a slip: cannot tell
        "5,00,000",  # Indian grouping
        "1,2345",
        "1.2.3",
        "50万万",
        "万",
        "¥",
        "$500",
        "50%",
        "NaN",
        "Infinity",
        "--5",
        "1 2 3 4 a",
        "(500)",
        True,
        float("nan"),
        float("inf"),
    ],
)
def test_garbage_is_refused_with_a_message_that_shows_what_works(garbage):
    with pytest.raises(ValidationError) as exc:
        parsing.parse_amount(garbage)
    with translation.override("zh-hans"):
        assert exc.value.messages == [
            "请输入金额，例如 500000、500,000.00、¥500,000 或 50万。"
        ]


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2024-03-05", (2024, 3, 5)),
        ("2024-3-5", (2024, 3, 5)),
        ("2024/3/5", (2024, 3, 5)),
        ("2024/03/05", (2024, 3, 5)),
        ("2024.3.5", (2024, 3, 5)),
        ("2024年3月5日", (2024, 3, 5)),
        ("2024年3月5号", (2024, 3, 5)),
        ("2024年03月05日", (2024, 3, 5)),
        ("2024 年 3 月 5 日", (2024, 3, 5)),
        ("２０２４年３月５日", (2024, 3, 5)),
        ("２０２４／３／５", (2024, 3, 5)),
        ("20240305", (2024, 3, 5)),
        (" 2024-03-05 ", (2024, 3, 5)),
        ("2024-03-15 14:30", (2024, 3, 15)),  # a datetime cell: the date part
        ("2024-03-1514:30", (2024, 3, 15)),
        ("2024-03-15T14:30:00", (2024, 3, 15)),
        ("2024年3月15日 9:05", (2024, 3, 15)),
        ("2024-02-29", (2024, 2, 29)),
    ],
)
def test_dates_are_read_as_typed(typed, day):
    assert parsing.parse_date(typed) == datetime.date(*day)


def test_date_objects_pass_through():
    moment = datetime.datetime(2024, 3, 5, 23, 59)
    assert parsing.parse_date(moment) == datetime.date(2024, 3, 5)
    assert parsing.parse_date(datetime.date(2024, 3, 5)) == datetime.date(2024, 3, 5)


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "24/3/5", "2024-3/5", "3/5/2024", "2024年3月", "2024--03-05", "明天"],
)
def test_garbage_dates_are_refused_with_examples(garbage):
    with pytest.raises(ValidationError) as exc:
        parsing.parse_date(garbage)
    assert exc.value.code == "invalid"
    with translation.override("zh-hans"):
        assert exc.value.messages == [
            "请输入日期，例如 2024-03-05、2024/3/5 或 2024年3月5日。"
        ]


@pytest.mark.parametrize(
    "typed", ["2023-02-29", "2024/13/1", "2024年4月31日", "20240230"]
)
def test_a_date_that_does_not_exist_is_named(typed):
    with pytest.raises(ValidationError) as exc:
        parsing.parse_date(typed)
    assert exc.value.code == "invalid_date"
    with translation.override("zh-hans"):
        (message,) = exc.value.messages
    assert message.startswith("没有这一天：") and "请检查月份和日期" in message


def test_the_amount_field_refuses_what_the_column_cannot_hold_by_its_size():
    field = AmountField(max_digits=16, decimal_places=2)
    assert field.clean("99,999,999,999,999.99") == Decimal("99999999999999.99")
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as exc:
            field.clean("100000000亿")
        assert exc.value.messages == ["金额最多为 99,999,999,999,999.99。"]
        with pytest.raises(ValidationError) as exc:
            field.clean("1.001")
        assert exc.value.messages == ["小数点后最多 2 位。"]


def test_the_amount_field_is_a_text_input_with_the_decimal_keypad():
    field = AmountField(max_digits=16, decimal_places=2, required=False)
    html = field.widget.render("amount", Decimal("500000.00"))
    assert 'type="text"' in html and 'inputmode="decimal"' in html
    assert 'value="500,000.00"' in html  # shown grouped, read back the same
    assert field.clean("500,000.00") == Decimal("500000.00")
    assert field.clean("") is None


def test_the_date_field_takes_typed_dates_and_the_pickers_iso():
    field = DateField(required=False)
    assert field.clean("2024年3月5日") == datetime.date(2024, 3, 5)
    assert field.clean("2024-03-05") == datetime.date(2024, 3, 5)
    assert field.clean("") is None


def test_an_email_typed_with_a_chinese_input_method_is_read_as_ascii():
    field = EmailField()
    assert field.clean("ｗａｎｇ＠Ｅｘａｍｐｌｅ．ＣＯＭ") == "wang@example.com"
    assert field.clean(" wang@example。com ") == "wang@example.com"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("021-68888888转8001", "021-68888888-8001"),
        ("021-68888888-8001", "021-68888888-8001"),
        ("(021)68888888 ext. 8001", "021-68888888-8001"),
        ("021 6888 8888 x8001", "021-68888888-8001"),
        ("021-68888888#8001", "021-68888888-8001"),
        ("0755-86013388 分机 123", "0755-86013388-123"),
        ("（０２１）６８８８８８８８转８００１", "021-68888888-8001"),
        ("+86 21 6888 8888", "021-68888888"),
        ("0086 21 68888888", "021-68888888"),
        ("021-6888-8888", "021-68888888"),
        ("010-12345678", "010-12345678"),
        ("400-820-8820", "400-820-8820"),
        ("4008208820", "400-820-8820"),
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("", ""),
    ],
)
def test_phones_are_stored_in_one_form(typed, stored):
    assert normalize_phone(typed) == stored
    assert normalize_phone(stored) == stored  # stored values read back unchanged


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12345", "phone"),
        ("021-68888888转", "phone"),
        ("call me", "phone"),
        ("13812345678转1", "phone_extension"),
    ],
)
def test_bad_phones_are_refused(typed, code):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(typed)
    assert exc.value.code == code
