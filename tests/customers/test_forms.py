"""The customer form reads input as typed, refuses what cannot be right, and
says so in Chinese next to the field and in the summary at the top."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import escape

from crm.models import CustomField
from customers import services
from customers.models import Customer
from tests.factories import client_for, contact

NEW = "/customers/new/"


def form_data(**overrides):
    data = {
        "name": "苏州新材料科技有限公司",
        "type": "enterprise",
        "industry": "26",
        "region": "32",
        "level": "B",
        "status": "potential",
        "historical_amount": "0",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-name": "周伟",
        "contacts-0-phone": "13812345678",
    }
    data.update(overrides)
    return data


def summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group()


def errors_of(html: str, input_id: str) -> str:
    match = re.search(rf'<div class="errors" id="{input_id}_error">(.*?)</div>', html)
    assert match, f"no error next to {input_id}"
    return match.group(1)


@pytest.fixture
def rep1(client, users):
    return client_for(client, users["rep1"])


def test_messages_are_written_for_people_in_chinese(rep1):
    # Given a name of 500 characters, no level, a bad e-mail and a huge amount
    response = rep1.post(
        NEW,
        form_data(
            name="长" * 500,
            level="",
            historical_amount="12345678901234567",
            **{"contacts-0-email": "wang@"},
        ),
    )

    # Then each message sits next to its field, in plain Chinese
    html = response.content.decode()
    assert (
        errors_of(html, "id_name")
        == '<p class="error">最多 200 个字，现在是 500 个。</p>'
    )
    assert "此项必填。" in errors_of(html, "id_level")
    assert "金额最多为 99,999,999,999,999.99。" in errors_of(
        html, "id_historical_amount"
    )
    assert "请输入有效的邮箱地址，例如 name@example.com。" in errors_of(
        html, "id_contacts-0-email"
    )
    # and Django's stock wording is gone
    assert "确保" not in html and "目前字符数" not in html
    # and the summary counts them and links each to its field
    top = summary(html)
    assert "有 4 处需要修改" in top
    assert '<a href="#id_name" data-error-link="id_name">客户名称：最多 200 个字' in top
    assert 'href="#id_level"' in top and 'href="#id_historical_amount"' in top
    assert 'href="#id_contacts-0-email"' in top and "联系人 1 · 邮箱：" in top
    assert Customer.objects.count() == 0


def test_the_digit_messages_end_with_a_full_width_stop(rep1, users, make_customer):
    cf = CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="area",
        label="面积",
        field_type=CustomField.Type.DECIMAL,
    )
    response = rep1.post(NEW, form_data(**{"cf_area": "1.234"}))
    assert "小数点后最多 2 位。" in errors_of(response.content.decode(), "id_cf_area")
    assert cf.pk


def test_a_landline_with_an_extension_is_stored_in_one_form(rep1):
    rep1.post(NEW, form_data(**{"contacts-0-phone": "（021）6888 8888 转 8001"}))
    assert Customer.objects.get().contacts.get().phone == "021-68888888-8001"


@pytest.mark.parametrize(
    "typed", ["021-68888888-8001", "(021)68888888 ext. 8001", "021-68888888转8001"]
)
def test_every_way_of_writing_an_extension_is_accepted(rep1, typed):
    response = rep1.post(NEW, form_data(**{"contacts-0-phone": typed}))
    assert response.status_code == 302
    assert Customer.objects.get().contacts.get().phone == "021-68888888-8001"


def test_a_masked_landline_hides_the_number_not_just_the_extension(
    client, users, make_customer
):
    customer = make_customer(
        users["rep1"], contacts=[contact(phone="021-68888888转8001", note="")]
    )
    html = client_for(client, users["service"]).get(customer.get_absolute_url())
    html = html.content.decode()
    assert "68888888" not in html
    assert "021-********-8001" in html


def test_full_width_input_is_read_as_ascii(rep1):
    rep1.post(
        NEW,
        form_data(
            city=" 苏州 ",
            address="星湖街３２８号",
            **{
                "contacts-0-phone": "１３８１２３４５６７８",
                "contacts-0-email": "ｗａｎｇ＠Ｅｘａｍｐｌｅ．ｃｏｍ",
            },
        ),
    )
    customer = Customer.objects.get()
    assert (customer.city, customer.address) == ("苏州", "星湖街328号")
    person = customer.contacts.get()
    assert (person.phone, person.email) == ("13812345678", "wang@example.com")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("50万", "500000.00"), ("500,000.00", "500000.00"), ("¥1,234.5", "1234.50")],
)
def test_amounts_are_stored_as_meant(rep1, typed, stored):
    response = rep1.post(NEW, form_data(historical_amount=typed))
    assert response.status_code == 302
    assert Customer.objects.get().historical_amount == Decimal(stored)


def test_a_bad_amount_says_what_works_and_keeps_what_was_typed(rep1):
    html = rep1.post(NEW, form_data(historical_amount="五十万")).content.decode()
    assert "请输入金额，例如 500000、500,000.00、¥500,000 或 50万。" in errors_of(
        html, "id_historical_amount"
    )
    assert 'value="五十万"' in html
    assert 'inputmode="decimal"' in html


def test_a_negative_amount_is_refused(rep1):
    html = rep1.post(NEW, form_data(historical_amount="-5")).content.decode()
    assert "不能小于 0。" in errors_of(html, "id_historical_amount")


def test_a_decimal_custom_field_takes_wan(rep1):
    CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="budget",
        label="年度预算",
        field_type=CustomField.Type.DECIMAL,
    )
    assert rep1.post(NEW, form_data(cf_budget="1.5万")).status_code == 302
    assert Customer.objects.get().custom == {"budget": "15000"}


def test_a_first_cooperation_date_in_the_future_is_refused_next_to_it(rep1):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    response = rep1.post(NEW, form_data(first_cooperation_date=tomorrow.isoformat()))
    html = response.content.decode()
    assert f"不能晚于今天（{today.isoformat()}）。" in errors_of(
        html, "id_first_cooperation_date"
    )
    assert Customer.objects.count() == 0
    # the picker greys out the future too
    assert f'max="{today.isoformat()}"' in html
    # today is fine
    response = rep1.post(NEW, form_data(first_cooperation_date=today.isoformat()))
    assert response.status_code == 302


def test_the_import_path_refuses_a_future_first_cooperation_too(users, make_customer):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        make_customer(users["rep1"], first_cooperation_date=tomorrow)
    assert list(exc.value.message_dict) == ["first_cooperation_date"]


def test_a_stored_future_date_does_not_block_other_edits(client, users, make_customer):
    # Given a customer saved with a future first cooperation before the rule
    customer = make_customer(users["rep1"], success_manager=users["success"])
    future = timezone.localdate() + datetime.timedelta(days=30)
    Customer.objects.filter(pk=customer.pk).update(first_cooperation_date=future)

    # When its success manager sets the renewal date
    c = client_for(client, users["success"])
    response = c.post(
        f"/customers/{customer.customer_no}/renewal/",
        {
            "renewal_date": (future + datetime.timedelta(days=365)).isoformat(),
            "version": customer.version,
        },
    )

    # Then it is saved
    assert response.status_code == 302


def test_a_renewal_before_the_first_cooperation_is_refused(
    client, users, make_customer
):
    customer = make_customer(
        users["rep1"],
        success_manager=users["success"],
        first_cooperation_date=datetime.date(2024, 3, 5),
    )
    c = client_for(client, users["success"])
    response = c.post(
        f"/customers/{customer.customer_no}/renewal/",
        {"renewal_date": "2023-12-31", "version": customer.version},
    )
    html = response.content.decode()
    assert "不能早于首次合作时间（2024-03-05）。" in errors_of(html, "id_renewal_date")
    assert "有 1 处需要修改" in summary(html)
    customer.refresh_from_db()
    assert customer.renewal_date is None


@pytest.mark.parametrize("typed", ["2024/3/5", "2024年3月5日", "２０２４年３月５日"])
def test_dates_typed_the_chinese_way_are_accepted(rep1, typed):
    assert rep1.post(NEW, form_data(first_cooperation_date=typed)).status_code == 302
    assert Customer.objects.get().first_cooperation_date == datetime.date(2024, 3, 5)


def test_a_date_that_does_not_exist_is_named(rep1):
    html = rep1.post(NEW, form_data(first_cooperation_date="2023-02-29")).content
    assert "没有这一天：2023-02-29" in errors_of(
        html.decode(), "id_first_cooperation_date"
    )


def test_two_primary_contacts_are_refused_next_to_the_contacts(rep1):
    response = rep1.post(
        NEW,
        form_data(
            **{
                "contacts-TOTAL_FORMS": "2",
                "contacts-0-is_primary": "on",
                "contacts-1-name": "李娜",
                "contacts-1-is_primary": "on",
            }
        ),
    )
    html = response.content.decode()
    block = re.search(
        r'<div class="errors contacts-errors" id="contacts-errors".*?</div>', html
    )
    assert block and "只能将一位联系人设为主要联系人。" in block.group()
    assert 'href="#contacts-errors"' in summary(html)
    assert Customer.objects.count() == 0


def test_the_primary_tick_boxes_carry_the_hook_for_the_script(client, users):
    html = client_for(client, users["rep1"]).get(NEW).content.decode()
    assert re.search(
        r'name="contacts-0-is_primary"[^>]*data-primary', html
    ) or re.search(r'data-primary[^>]*name="contacts-0-is_primary"', html)


def test_an_empty_extra_contact_row_is_ignored_and_not_marked_required(rep1, users):
    # The page: the new row's name has no asterisk until something is typed
    html = rep1.get(NEW).content.decode()
    name_field = re.search(
        r'<div class="field([^"]*)">\s*<label for="id_contacts-0-name"', html
    )
    assert name_field and "required-when-filled" in name_field.group(1)
    assert " required " not in name_field.group(1) + " "

    # Sent with a filled row and an empty one: one contact saved
    response = rep1.post(
        NEW,
        form_data(**{"contacts-TOTAL_FORMS": "2", "contacts-1-name": ""}),
    )
    assert response.status_code == 302
    assert [c.name for c in Customer.objects.get().contacts.all()] == ["周伟"]


def test_a_partly_filled_extra_row_needs_its_name(rep1):
    response = rep1.post(
        NEW,
        form_data(**{"contacts-TOTAL_FORMS": "2", "contacts-1-phone": "13987654321"}),
    )
    html = response.content.decode()
    assert "此项必填。" in errors_of(html, "id_contacts-1-name")
    assert "联系人 2 · 联系人姓名：此项必填。" in summary(html)
    # that row's name is now marked required
    name_field = re.search(
        r'<div class="field([^"]*)">\s*<label for="id_contacts-1-name"', html
    )
    assert " required" in name_field.group(1)


def test_html_in_values_is_escaped_in_the_summary(rep1, users):
    hostile = '<img src=x onerror="alert(1)">'
    CustomField.objects.create(
        target=CustomField.Target.CUSTOMER,
        key="channel",
        label="<b>渠道</b>",
        field_type=CustomField.Type.CHOICE,
        choices="展会\n转介绍",
    )
    response = rep1.post(NEW, form_data(type=hostile, cf_channel=hostile))
    html = response.content.decode()
    top = summary(html)
    assert hostile not in html and "<b>渠道</b>" not in html
    assert escape(hostile) in top and escape("<b>渠道</b>") in top
    assert "不在可选范围内，请重新选择。" in top


def test_the_summary_shows_errors_the_service_raises(rep1, users, make_customer):
    # A role rule the form cannot know about comes back from the service
    response = rep1.post(NEW, form_data(success_manager=users["rep2"].pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_success_manager"' in summary(html)


def test_no_summary_on_a_fresh_form(client, users):
    html = client_for(client, users["rep1"]).get(NEW).content.decode()
    assert "error-summary" not in html


def test_the_share_form_shows_its_errors_in_a_summary(client, users, rep1_customer):
    c = client_for(client, users["rep1"])
    response = c.post(
        f"/customers/{rep1_customer.customer_no}/share/", {"user": "", "level": "x"}
    )
    assert response.status_code == 200
    top = summary(response.content.decode())
    assert "有 2 处需要修改" in top and 'href="#id_user"' in top


def test_the_service_keeps_the_dates_rule_for_updates(users, make_customer):
    customer = make_customer(
        users["rep1"], first_cooperation_date=datetime.date(2024, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        services.customer_update(
            actor=users["rep1"],
            customer=customer,
            data={"renewal_date": datetime.date(2023, 1, 1)},
            expected_version=customer.version,
        )
    assert list(exc.value.message_dict) == ["renewal_date"]


def test_the_primary_can_move_to_another_contact_in_one_save(
    rep1, users, make_customer
):
    customer = make_customer(
        users["rep1"],
        contacts=[contact(name="王芳", is_primary=True), contact(name="李娜")],
    )
    first, second = customer.contacts.order_by("id")
    data = form_data(
        name=customer.name,
        owner=users["rep1"].pk,
        version=customer.version,
        **{
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "2",
            "contacts-0-id": first.pk,
            "contacts-0-name": "王芳",
            "contacts-0-phone": "",
            "contacts-1-id": second.pk,
            "contacts-1-name": "李娜",
            "contacts-2-name": "",
            "contacts-2-phone": "",
        },
    )
    # to the other stored contact
    data["contacts-1-is_primary"] = "on"
    response = rep1.post(f"/customers/{customer.customer_no}/edit/", data)
    assert response.status_code == 302, summary(response.content.decode())
    assert customer.contacts.get(is_primary=True).name == "李娜"

    # to a new contact
    customer.refresh_from_db()
    data.pop("contacts-1-is_primary")
    data.update(
        {
            "version": customer.version,
            "contacts-2-name": "赵敏",
            "contacts-2-is_primary": "on",
        }
    )
    response = rep1.post(f"/customers/{customer.customer_no}/edit/", data)
    assert response.status_code == 302, summary(response.content.decode())
    assert customer.contacts.get(is_primary=True).name == "赵敏"
