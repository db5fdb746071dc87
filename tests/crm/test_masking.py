"""No phone number is ever shown whole to a reader who may not see it."""

import pytest

from crm.privacy import mask_phone, mask_text, reveal


@pytest.mark.parametrize(
    "value, masked",
    [
        ("", ""),
        ("13812345678", "138****5678"),
        ("010-62345678", "010-****5678"),
        ("6234567", "*****67"),  # a local number without area code
        ("62345678", "******78"),
        ("123456", "****"),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_a_short_number_in_a_note_is_masked_too():
    assert mask_text("总机 6234567 转 8") == "总机 *****67 转 8"


def test_reveal_masks_by_kind_only_when_hidden():
    assert reveal("13812345678", True, "phone") == "13812345678"
    assert reveal("13812345678", False, "phone") == "138****5678"
    assert reveal("zw@a.com", False, "email") == "z***@a.com"
    assert reveal("备用 13812345678", False, "text") == "备用 138****5678"


def test_a_ten_digit_number_keeps_its_first_three_and_last_four():
    assert mask_phone("0101234567") == "010***4567"


@pytest.mark.parametrize(
    "text, masked",
    [
        ("电话13812345678请回电", "电话138****5678请回电"),
        ("联系：021-68888888-8001。", "联系：021-********-8001。"),
        ("订单号A13812345678", "订单号A13812345678"),
    ],
)
def test_a_number_touching_chinese_text_is_masked(text, masked):
    # Python's \w counts CJK characters as word characters; a number written
    # right after 电话 must still be found.
    assert mask_text(text) == masked
