"""A save refused as stale merges: nothing the other person saved is lost.

Each test opens the edit page (as the browser would post it), lets someone
else save, then submits the user's change and saves again from the page the
server answered with, the way a user clicks "Save" twice.
"""

import re

from crm.models import CustomField
from customers import services
from customers.models import Customer, Tag
from tests.conftest import client_for


def posted(response) -> dict:
    """What the browser posts for the form on `response` when nothing is touched."""
    context = response.context
    forms = [context["form"]]
    if "contacts" in context:
        forms += [context["contacts"].management_form, *context["contacts"]]
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if bound.widget_type == "checkbox":
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


def conflicts(response) -> list[str]:
    """The names of the keep-mine / take-theirs choices the page asks for."""
    html = response.content.decode()
    return sorted(set(re.findall(r'name="(merge-[^"]+)" value="mine"', html)))


def edit_url(customer) -> str:
    return f"/customers/{customer.customer_no}/edit/"


def someone_else_saves(users, customer, **changes):
    """The manager saves `changes` (fields, tags, contacts) on `customer`."""
    current = Customer.objects.get(pk=customer.pk)
    tags = changes.pop("tags", None)
    contacts = changes.pop("contacts", None)
    return services.customer_update(
        actor=users["manager"],
        customer=current,
        data=changes,
        expected_version=current.version,
        tags=tags,
        contacts=contacts,
    )


def contact_data(customer) -> list[services.ContactData]:
    return [
        services.ContactData(
            id=c.pk,
            name=c.name,
            title=c.title,
            phone=c.phone,
            email=c.email,
            is_primary=c.is_primary,
            note=c.note,
        )
        for c in customer.contacts.all()
    ]


def row(data: dict, contact) -> str:
    """The formset prefix (`contacts-N`) of `contact` in posted `data`."""
    for key, value in data.items():
        if key.endswith("-id") and str(value) == str(contact.pk):
            return key[: -len("-id")]
    raise AssertionError(f"contact {contact} is not in the form")


def test_fields_changed_on_each_side_are_both_kept(client, users, rep1_customer):
    # Given rep1 opened the form, and the manager then changed the address
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, address="宁波市鄞州区天童南路1号")

    # When rep1 saves a new city
    response = c.post(edit_url(rep1_customer), {**data, "city": "宁波"})

    # Then nothing is saved yet; the page lists the manager's change and the
    # form holds both the manager's address and rep1's city, without conflicts
    html = response.content.decode()
    assert response.status_code == 200
    assert "alert-warning" in html and "天童南路1号" in html
    assert Customer.objects.get(pk=rep1_customer.pk).city == ""
    again = posted(response)
    assert again["address"] == "宁波市鄞州区天童南路1号"
    assert again["city"] == "宁波"
    assert conflicts(response) == []

    # And saving again keeps both changes
    assert c.post(edit_url(rep1_customer), again).status_code == 302
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert (saved.address, saved.city) == ("宁波市鄞州区天童南路1号", "宁波")


def test_a_field_both_changed_is_a_conflict_the_user_settles(
    client, users, rep1_customer
):
    # Given rep1 opened the form; the manager changed the address and the level
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, address="对方的地址", level="A")

    # When rep1 saves another address
    response = c.post(edit_url(rep1_customer), {**data, "address": "我的地址"})

    # Then the address is marked with both values and a choice to make
    html = response.content.decode()
    assert conflicts(response) == ["merge-address"]
    assert "has-conflict" in html and "对方的地址" in html and "我的地址" in html
    again = posted(response)
    assert again["address"] == "我的地址" and again["level"] == "A"

    # When rep1 saves without choosing, nothing is saved and the field says why
    unchosen = c.post(edit_url(rep1_customer), again)
    assert unchosen.status_code == 200
    assert "address" in unchosen.context["form"].errors
    assert Customer.objects.get(pk=rep1_customer.pk).address == "对方的地址"

    # When rep1 takes theirs, their address is saved and their level stays
    done = c.post(edit_url(rep1_customer), {**again, "merge-address": "theirs"})
    assert done.status_code == 302
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert (saved.address, saved.level) == ("对方的地址", "A")


def test_keep_mine_saves_the_users_value_and_the_others_stay(
    client, users, rep1_customer
):
    # Given both changed the address, and the manager also the level
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, address="对方的地址", level="A")
    response = c.post(edit_url(rep1_customer), {**data, "address": "我的地址"})

    # When rep1 keeps their own address
    again = {**posted(response), "merge-address": "mine"}
    assert c.post(edit_url(rep1_customer), again).status_code == 302

    # Then rep1's address is saved and the manager's level is not reverted
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert (saved.address, saved.level) == ("我的地址", "A")


def test_tags_merge_and_conflict(client, users, rep1_customer):
    vip, hot, risk = Tag.objects.order_by("pk")[:3]
    c = client_for(client, users["rep1"])

    # Given the manager added tag A and rep1 only changed the city
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, tags=[vip])
    response = c.post(edit_url(rep1_customer), {**data, "city": "杭州"})
    # Then the form shows the manager's tag and saving again keeps it
    assert conflicts(response) == []
    assert c.post(edit_url(rep1_customer), posted(response)).status_code == 302
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert list(saved.tags.all()) == [vip] and saved.city == "杭州"

    # Given both then changed the tags differently
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, tags=[vip, hot])
    response = c.post(edit_url(rep1_customer), {**data, "tags": [vip.pk, risk.pk]})
    # Then the tags are a conflict naming both sets
    html = response.content.decode()
    assert conflicts(response) == ["merge-tags"]
    assert hot.name in html and risk.name in html
    # When rep1 keeps mine, rep1's tags are saved
    again = {**posted(response), "merge-tags": "mine"}
    assert c.post(edit_url(rep1_customer), again).status_code == 302
    assert set(Customer.objects.get(pk=rep1_customer.pk).tags.all()) == {vip, risk}


def test_custom_fields_merge_and_conflict(client, users, rep1_customer):
    CustomField.objects.create(
        target="customer",
        key="channel",
        label="获客渠道",
        field_type="choice",
        choices="展会\n转介绍\n官网",
    )
    CustomField.objects.create(
        target="customer", key="seats", label="席位数", field_type="integer"
    )
    c = client_for(client, users["rep1"])

    # Given the manager set the channel while rep1 set the seats
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, custom={"channel": "展会"})
    response = c.post(edit_url(rep1_customer), {**data, "cf_seats": "20"})
    # Then both are kept
    assert conflicts(response) == []
    assert c.post(edit_url(rep1_customer), posted(response)).status_code == 302
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert saved.custom == {"channel": "展会", "seats": 20}

    # Given both then changed the channel, and the manager also the seats
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, custom={"channel": "官网", "seats": 30})
    response = c.post(edit_url(rep1_customer), {**data, "cf_channel": "转介绍"})
    html = response.content.decode()
    assert conflicts(response) == ["merge-cf_channel"]
    assert "官网" in html and "转介绍" in html
    # When rep1 takes theirs, the manager's channel and seats are saved
    again = {**posted(response), "merge-cf_channel": "theirs"}
    assert c.post(edit_url(rep1_customer), again).status_code == 302
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert saved.custom == {"channel": "官网", "seats": 30}


def test_contacts_merge_per_contact_and_field(client, users, make_customer):
    customer = make_customer(
        users["rep1"],
        contacts=[
            services.ContactData(name="张伟", phone="13812345678", is_primary=True),
            services.ContactData(name="李娜", phone="13987654321"),
            services.ContactData(name="王强", phone="13700001111"),
        ],
    )
    zhang, li, wang = customer.contacts.order_by("pk")
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(customer)))

    # Given the manager changed Zhang's phone, deleted Wang (rep1 leaves him
    # alone) and added Zhao
    theirs = [x for x in contact_data(customer) if x.id != wang.pk]
    theirs[0].phone = "13800000000"
    theirs.append(services.ContactData(name="赵敏", phone="13600002222"))
    someone_else_saves(users, customer, contacts=theirs)

    # When rep1 saves Zhang's title and Li's phone
    zh, lr = row(data, zhang), row(data, li)
    response = c.post(
        edit_url(customer),
        {**data, f"{zh}-title": "采购总监", f"{lr}-phone": "13911112222"},
    )

    # Then no conflict; the form has both edits of Zhang, Li's new phone,
    # Zhao, and no Wang
    assert conflicts(response) == []
    html = response.content.decode()
    assert "赵敏" in html and "王强" not in html.split("alert-warning")[0]
    assert c.post(edit_url(customer), posted(response)).status_code == 302
    saved = {x.name: x for x in customer.contacts.all()}
    assert set(saved) == {"张伟", "李娜", "赵敏"}
    assert (saved["张伟"].phone, saved["张伟"].title) == ("13800000000", "采购总监")
    assert saved["李娜"].phone == "13911112222"


def test_contact_field_both_changed_is_a_conflict(client, users, rep1_customer):
    zhang = rep1_customer.contacts.get()
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(rep1_customer)))

    # Given the manager changed Zhang's phone and the level
    theirs = contact_data(rep1_customer)
    theirs[0].phone = "13800000000"
    someone_else_saves(users, rep1_customer, contacts=theirs, level="A")

    # When rep1 saves another phone for Zhang
    response = c.post(
        edit_url(rep1_customer), {**data, f"{row(data, zhang)}-phone": "13900000000"}
    )

    # Then Zhang's phone is a conflict with both numbers
    key = f"merge-contacts.{zhang.pk}.phone"
    assert conflicts(response) == [key]
    html = response.content.decode()
    assert "13800000000" in html and "13900000000" in html

    # When rep1 takes theirs, the manager's phone and level are saved
    again = {**posted(response), key: "theirs"}
    assert c.post(edit_url(rep1_customer), again).status_code == 302
    saved = Customer.objects.get(pk=rep1_customer.pk)
    assert saved.contacts.get().phone == "13800000000" and saved.level == "A"


def test_contact_deleted_by_them_and_edited_by_me(client, users, make_customer):
    customer = make_customer(
        users["rep1"],
        contacts=[
            services.ContactData(name="张伟", phone="13812345678", is_primary=True),
            services.ContactData(name="李娜", phone="13987654321"),
        ],
    )
    zhang, li = customer.contacts.order_by("pk")
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(customer)))

    # Given the manager deleted Li
    theirs = [x for x in contact_data(customer) if x.id == zhang.pk]
    someone_else_saves(users, customer, contacts=theirs)

    # When rep1 saves a new title for Li
    response = c.post(edit_url(customer), {**data, f"{row(data, li)}-title": "总经理"})

    # Then Li comes back as a row marked with the choice: keep as new or drop
    key = f"merge-contacts.{li.pk}"
    assert conflicts(response) == [key]
    assert "总经理" in response.content.decode()
    again = posted(response)

    # When rep1 drops it, Li stays deleted
    assert c.post(edit_url(customer), {**again, key: "theirs"}).status_code == 302
    assert [x.name for x in customer.contacts.all()] == ["张伟"]


def test_contact_deleted_by_them_kept_as_new(client, users, make_customer):
    customer = make_customer(
        users["rep1"],
        contacts=[
            services.ContactData(name="张伟", phone="13812345678", is_primary=True),
            services.ContactData(name="李娜", phone="13987654321"),
        ],
    )
    zhang, li = customer.contacts.order_by("pk")
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(customer)))
    someone_else_saves(
        users,
        customer,
        contacts=[x for x in contact_data(customer) if x.id == zhang.pk],
    )
    response = c.post(edit_url(customer), {**data, f"{row(data, li)}-title": "总经理"})

    # When rep1 keeps it, Li is saved again as a new contact with rep1's title
    again = {**posted(response), f"merge-contacts.{li.pk}": "mine"}
    assert c.post(edit_url(customer), again).status_code == 302
    saved = {x.name: x for x in customer.contacts.all()}
    assert set(saved) == {"张伟", "李娜"} and saved["李娜"].title == "总经理"


def test_renewal_form_merges_the_same_way(client, users, make_customer):
    customer = make_customer(users["rep1"], success_manager=users["success"])
    c = client_for(client, users["success"])
    url = f"/customers/{customer.customer_no}/renewal/"
    data = posted(c.get(url))

    # Given the manager set a renewal date after the success manager opened it
    someone_else_saves(users, customer, renewal_date="2027-03-01")

    # When the success manager saves another date
    response = c.post(url, {**data, "renewal_date": "2027-06-30"})

    # Then both dates are shown and a choice is required
    assert conflicts(response) == ["merge-renewal_date"]
    html = response.content.decode()
    assert "2027-03-01" in html and "2027-06-30" in html
    again = {**posted(response), "merge-renewal_date": "mine"}
    assert c.post(url, again).status_code == 302
    assert str(Customer.objects.get(pk=customer.pk).renewal_date) == "2027-06-30"


def test_a_forged_snapshot_is_not_trusted(client, users, rep1_customer):
    # Given rep1's page carries a snapshot whose signature does not match
    c = client_for(client, users["rep1"])
    data = posted(c.get(edit_url(rep1_customer)))
    someone_else_saves(users, rep1_customer, address="对方的地址")
    data["loaded"] = data["loaded"][:-3] + "xyz"

    # When rep1 saves with that tampered snapshot
    response = c.post(edit_url(rep1_customer), {**data, "city": "宁波"})

    # Then the manager's address is not overwritten unseen: it is a conflict
    assert "merge-address" in conflicts(response)
    assert Customer.objects.get(pk=rep1_customer.pk).address == "对方的地址"
