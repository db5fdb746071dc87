"""`manage.py bench`: page latency, export throughput and memory on generated data.

Runs in a throwaway test database (never the configured one), grows it to each
requested scale with bulk_create, and prints one table per scale. Speed is
measured here, on purpose not in the test suite.
"""

import datetime
import random
import statistics
import time
import tracemalloc
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone

from crm import roles
from customers.models import (
    Contact,
    Customer,
    CustomerUserObjectPermission,
    Industry,
    Region,
    Tag,
)

BATCH = 5000


class Command(BaseCommand):
    help = "Benchmark the main pages and export on generated data (p50/p95, rows/s)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scales",
            default="1000,10000,100000",
            help="comma-separated customer counts, ascending (default: %(default)s)",
        )
        parser.add_argument("--repeat", type=int, default=15)

    def handle(self, *args, scales, repeat, **options):
        setup_test_environment(debug=False)
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            self.users = self.make_users()
            self.rng = random.Random(7)
            self.industries = list(Industry.objects.all())
            self.regions = list(Region.objects.all())
            self.tags = list(Tag.objects.all())
            have = 0
            for scale in sorted(int(s) for s in scales.split(",")):
                insert_rate = self.grow(have, scale)
                have = scale
                self.report(scale, insert_rate, repeat)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)

    def make_users(self):
        users = {}
        for name, role in [
            ("admin", roles.ADMIN),
            ("manager", roles.SALES_MANAGER),
            ("rep1", roles.SALES_REP),
            ("rep2", roles.SALES_REP),
            ("service", roles.SERVICE),
        ]:
            user = User.objects.create_user(name, password="bench")
            user.groups.add(Group.objects.get(name=role))
            users[name] = user
        return users

    def grow(self, start: int, end: int) -> float:
        """Add customers start..end with a contact and owner grants; rows/s."""
        owners = [self.users["rep1"], self.users["rep2"], self.users["manager"]]
        perms = {
            a: Permission.objects.get(codename=f"{a}_customer")
            for a in ("view", "change")
        }
        base_day = datetime.date(2020, 1, 1)
        now = timezone.now()
        elapsed = 0.0
        for offset in range(start, end, BATCH):
            count = min(BATCH, end - offset)
            batch = []
            for i in range(offset, offset + count):
                day = base_day + datetime.timedelta(days=i // 500)
                batch.append(
                    Customer(
                        customer_no=f"C{day:%Y%m%d}{i % 500 + 1:03d}",
                        name=f"基准测试客户{i:07d}有限公司",
                        industry=self.rng.choice(self.industries),
                        region=self.rng.choice(self.regions),
                        level=self.rng.choice("ABCD"),
                        status=self.rng.choice(list(Customer.Status.values)),
                        historical_amount=Decimal(self.rng.randrange(0, 10**8)) / 100,
                        owner=owners[i % len(owners)],
                        created_at=now - datetime.timedelta(minutes=i),
                    )
                )
            t0 = time.perf_counter()
            created = Customer.objects.bulk_create(batch)
            elapsed += time.perf_counter() - t0
            Contact.objects.bulk_create(
                Contact(
                    customer=c,
                    name="联系人",
                    phone=f"138{c.pk % 10**8:08d}",
                    email=f"c{c.pk}@example.com",
                    is_primary=True,
                )
                for c in created
            )
            CustomerUserObjectPermission.objects.bulk_create(
                CustomerUserObjectPermission(
                    user=c.owner, permission=perm, content_object=c
                )
                for c in created
                for perm in perms.values()
            )
            Customer.tags.through.objects.bulk_create(
                Customer.tags.through(customer_id=c.pk, tag_id=self.tags[c.pk % 5].pk)
                for c in created
                if c.pk % 3 == 0
            )
        # Fresh statistics, as a production database would have them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return (end - start) / elapsed if elapsed else 0.0

    def measure(self, client: Client, url: str, repeat: int):
        times, queries = [], 0
        for _ in range(repeat):
            reset_queries()
            t0 = time.perf_counter()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - t0) * 1000)
            queries = len(connection.queries)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, round(len(times) * 0.95) - 1)]
        return statistics.median(times), p95, queries

    def report(self, scale: int, insert_rate: float, repeat: int):
        connection.force_debug_cursor = True  # count queries
        sample = Customer.objects.filter(owner=self.users["rep1"]).first()
        # Lists count at most CRM_LIST_COUNT_CAP rows, so pages stop there.
        middle_page = min(scale, settings.CRM_LIST_COUNT_CAP) // 50 or 1
        pages = [
            ("admin", "workbench", "/"),
            ("admin", "customer list", "/customers/"),
            ("admin", "list, middle page", f"/customers/?page={middle_page}"),
            ("admin", "list, status+level", "/customers/?status=active&level=A"),
            ("admin", "list, by amount", "/customers/?ordering=-historical_amount"),
            ("admin", "list, search name", "/customers/?q=客户0000123"),
            ("admin", "list, search phone", f"/customers/?q={sample.pk % 10**8:08d}"),
            ("rep1", "customer list", "/customers/"),
            ("rep1", "list, search name", "/customers/?q=客户0000123"),
            ("rep1", "workbench", "/"),
            ("rep1", "customer detail", sample.get_absolute_url()),
            ("service", "customer list (masked)", "/customers/"),
        ]
        rows = []
        for username, label, url in pages:
            client = Client()
            client.force_login(self.users[username])
            p50, p95, queries = self.measure(client, url, repeat)
            rows.append(
                (f"{label} [{username}]", f"{p50:8.1f}", f"{p95:8.1f}", queries)
            )
        connection.force_debug_cursor = False

        client = Client()
        client.force_login(self.users["admin"])
        tracemalloc.start()
        t0 = time.perf_counter()
        response = client.get("/customers/export/")
        exported = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

        out = self.stdout.write
        out(f"\n== {scale:,} customers ({connection.vendor})")
        out(f"{'page':42} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for label, p50, p95, queries in rows:
            out(f"{label:42} {p50} {p95} {queries:>8}")
        out(f"{'raw bulk_create (customers)':42} {insert_rate:>17,.0f} rows/s")
        out(f"{'CSV export, all rows':42} {exported / seconds:>17,.0f} rows/s")
        out(f"{'CSV export, peak Python memory':42} {peak:>17,.1f} MiB")
