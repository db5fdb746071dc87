from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from customers.models import Customer
from customers.validators import normalize_phone, validate_credit_code
from tests.factories import ROLE_USERS

EXPECTED_ROLES = ROLE_USERS  # seed_demo makes the same users as the fixtures


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_creates_role_users_and_customers(db):
    output = seed(customers=12, password="s3cret-demo")

    assert set(User.objects.values_list("username", flat=True)) == set(EXPECTED_ROLES)
    for username, role in EXPECTED_ROLES.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password("s3cret-demo")
        assert user.get_full_name()
        assert username in output
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert "http://127.0.0.1:8000/" in output
    assert "s3cret-demo" in output

    customers = Customer.objects.filter(deleted_at__isnull=True)
    assert customers.count() == 12
    for customer in customers.select_related("owner"):
        if customer.credit_code:
            validate_credit_code(customer.credit_code)
        primary = customer.contacts.get(is_primary=True)
        assert normalize_phone(primary.phone) == primary.phone
        assert customer.owner.username in ("rep1", "rep2", "manager")
        assert (
            Customer.objects.for_user(customer.owner, "change")
            .filter(pk=customer.pk)
            .exists()
        )
        active = customer.status == Customer.Status.ACTIVE
        assert (customer.historical_amount > 0) == active
        assert (customer.first_cooperation_date is not None) == active
    codes = [c for c in customers.values_list("credit_code", flat=True) if c]
    assert len(codes) == len(set(codes))


def test_seed_twice_creates_nothing_new(db):
    seed(customers=12)
    users = User.objects.count()
    customers = set(Customer.objects.values_list("pk", flat=True))

    seed(customers=12)

    assert User.objects.count() == users == len(EXPECTED_ROLES)
    assert set(Customer.objects.values_list("pk", flat=True)) == customers
    assert User.objects.get(username="rep1").check_password("demo12345")


def test_seed_tops_up_to_the_requested_number(db):
    seed(customers=5)
    seed(customers=8)
    assert Customer.objects.filter(deleted_at__isnull=True).count() == 8
