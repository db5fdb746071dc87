"""The CSV export holds what the exporting user may see, no more."""

import csv
import io

from django.contrib.auth.models import Permission

from tests.factories import client_for


def exported(client, user, query="") -> list[dict]:
    response = client_for(client, user).get(f"/customers/export/{query}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def give_export(user):
    user.user_permissions.add(Permission.objects.get(codename="export_customer"))


def test_a_rep_allowed_to_export_gets_only_their_own_customers(
    client, users, make_customer, rep1_customer, rep2_customer
):
    # Given rep1 may export (a direct permission) and sees only its customers
    give_export(users["rep1"])
    managed = make_customer(users["rep2"], success_manager=users["success"])
    # When rep1 exports, with and without a search
    rows = exported(client, users["rep1"])
    searched = exported(client, users["rep1"], "?q=有限公司")
    # Then the file holds rep1's customer only
    assert [r["客户ID"] for r in rows] == [rep1_customer.customer_no]
    assert [r["客户ID"] for r in searched] == [rep1_customer.customer_no]
    assert managed.customer_no not in {r["客户ID"] for r in rows}


def test_the_admin_export_holds_every_live_customer(
    client, users, rep1_customer, rep2_customer
):
    rows = exported(client, users["admin"])
    assert {r["客户ID"] for r in rows} == {
        rep1_customer.customer_no,
        rep2_customer.customer_no,
    }
    assert {r["联系方式"] for r in rows} == {"13812345678", "13987654321"}


def test_an_exporting_reader_of_masked_contacts_gets_them_masked(
    client, users, rep1_customer
):
    # Customer service reads every customer with phones and e-mails masked;
    # an export permission must not hand it the unmasked values.
    give_export(users["service"])
    [row] = exported(client, users["service"])
    assert row["联系方式"] == "138****5678"
    assert row["邮箱"] == "z***@a.com"
