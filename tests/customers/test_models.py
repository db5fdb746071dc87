import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.models import NumberSequence
from crm.privacy import mask_email, mask_phone, mask_text
from customers.models import Contact, Customer, Region
from customers.validators import normalize_phone, validate_credit_code
from tests.factories import valid_code


def test_real_credit_code_passes_checksum():
    # Alibaba (China) Co., Ltd.'s published code.
    validate_credit_code("91330100799655058B")


@pytest.mark.parametrize(
    "code, reason, message",
    [
        ("91330100799655058", "length", "18"),
        ("91330100799655058C", "checksum", "校验"),
        ("9133010079965505IB", "chars", "大写字母"),
    ],
)
def test_bad_credit_codes_are_refused_with_a_reason(code, reason, message):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.error_list[0].code == reason
    assert message in str(exc.value.messages[0])  # in Chinese, the default


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("138 1234 5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("010-62345678", "010-62345678"),
        ("(0571) 8765 4321", "0571-87654321"),
    ],
)
def test_phones_are_normalised(typed, stored):
    assert normalize_phone(typed) == stored


def test_nonsense_phone_is_refused():
    with pytest.raises(ValidationError):
        normalize_phone("12345")


def test_masking_keeps_head_and_tail():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("010-62345678") == "010-****5678"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"


def test_masking_free_text_hides_every_phone_and_email():
    text = "★张伟 采购总监 13812345678 zw@a.com、李娜 010-62345678"
    assert mask_text(text) == "★张伟 采购总监 138****5678 z***@a.com、李娜 010-****5678"


def test_customer_numbers_count_per_day_and_never_repeat(users, make_customer):
    first = make_customer(users["rep1"])
    second = make_customer(users["rep1"])
    today = first.created_at.astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    ).strftime("%Y%m%d")
    assert first.customer_no == f"C{today}001"
    assert second.customer_no == f"C{today}002"
    second.delete()
    assert make_customer(users["rep1"]).customer_no == f"C{today}003"


def test_counter_goes_past_999_with_four_digits(db):
    day = datetime.date(2024, 3, 15)
    NumberSequence.objects.create(prefix="C", day=day, last=999)
    assert NumberSequence.next_code("C", day) == "C202403151000"


def test_reserved_imported_number_is_not_issued_again(db):
    day = datetime.date(2024, 3, 15)
    NumberSequence.reserve("C20240315007")
    assert NumberSequence.next_code("C", day) == "C20240315008"


def test_an_import_reserves_numbers_per_day_in_bulk(db):
    known, fresh, old = (datetime.date(2024, 3, d) for d in (15, 16, 17))
    NumberSequence.objects.create(prefix="C", day=known, last=12)
    NumberSequence.objects.create(prefix="C", day=old, last=30)
    starts = NumberSequence.reserve_many(
        "C", {known: (7, 2), fresh: (40, 3), old: (5, 0)}
    )
    # New numbers follow the highest of the stored counter and the file's IDs.
    assert starts == {known: 12, fresh: 40, old: 30}
    assert NumberSequence.next_code("C", known) == "C20240315015"
    assert NumberSequence.next_code("C", fresh) == "C20240316044"
    assert NumberSequence.next_code("C", old) == "C20240317031"
    assert NumberSequence.reserve_many("C", {}) == {}


def test_credit_code_unique_when_present(users, make_customer):
    code = valid_code()
    make_customer(users["rep1"], credit_code=code)
    make_customer(users["rep1"])  # empty codes never clash
    make_customer(users["rep1"])
    with pytest.raises(ValidationError) as exc:
        make_customer(users["rep2"], credit_code=code)
    assert "credit code" in str(exc.value) or "统一社会信用代码" in str(exc.value)


def test_only_one_primary_contact_in_the_database(users, make_customer):
    customer = make_customer(users["rep1"])
    Contact.objects.create(customer=customer, name="甲", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(customer=customer, name="乙", is_primary=True)


def test_province_found_with_or_without_suffix(db):
    assert Region.objects.lookup("上海").name == "上海市"
    assert Region.objects.lookup("广西").name == "广西壮族自治区"
    assert Region.objects.lookup("上海市").area == "华东"
    assert Region.objects.lookup("火星") is None


def test_reference_data_is_complete(db):
    from customers.models import Industry

    assert Industry.objects.count() == 97
    assert Industry.objects.values("section").distinct().count() == 20
    assert Region.objects.count() == 34


def test_trashed_customers_are_invisible_everywhere(users, make_customer):
    customer = make_customer(users["rep1"])
    from customers.services import customer_delete

    customer_delete(actor=users["admin"], customer=customer)
    for user in users.values():
        assert not Customer.objects.for_user(user, "view").filter(pk=customer.pk)
    assert Customer.objects.trash_for_user(users["admin"]).filter(pk=customer.pk)
    assert not Customer.objects.trash_for_user(users["manager"]).exists()


@pytest.mark.parametrize("limit", [1000, 1])
def test_search_finds_the_same_rows_selective_or_broad(
    users, make_customer, monkeypatch, limit
):
    """Both query shapes (resolved ids, or a plain OR for broad searches)."""
    from customers import models
    from customers.services import ContactData

    monkeypatch.setattr(models, "SEARCH_ID_LIMIT", limit)
    a = make_customer(users["rep1"], name="甲方科技有限公司")
    b = make_customer(
        users["rep1"],
        name="乙方贸易有限公司",
        contacts=[ContactData(name="王甲方", phone="13900001111")],
    )
    make_customer(users["rep1"], name="丙方实业")

    def found(text):
        return set(Customer.objects.search(text).values_list("pk", flat=True))

    assert found("甲方") == {a.pk, b.pk}
    assert found("有限公司") == {a.pk, b.pk}
    assert found("0000 1111") == {b.pk}
    assert found(a.customer_no.lower()) == {a.pk}
