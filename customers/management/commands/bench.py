"""`manage.py bench`: page latency, export throughput and memory on generated data.

Runs in a throwaway test database (never the configured one), grows it to each
requested scale with bulk_create, and prints one table per scale: the same
pages for the admin (who sees every row through the role) and for rep1 (who
sees a third of them through the owner column, plus what colleagues shared),
side by side with the rep/admin ratio. Speed is measured here, on purpose not
in the test suite.

The generated data follows the access model: owners and success managers reach
their customers through the row's own columns, so they get no grant rows; 2% of
the customers are shared with another rep (half view, half edit), a tenth have
a success manager, and a few are in the trash. Every second customer has an
opportunity owned by the customer's owner (so half as many deals as
customers), in a stage drawn like a funnel, with the won/lost columns, the
last activity and the expected close date such a deal has, its stage history
(creation, then each move, a few stages skipped) and, when won, up to three
payments. Customers get three follow-ups on average (DESIGN §8's ratio),
mostly by their owner, some about their deal and some with a next plan (done,
overdue or to come), and every tenth customer a service ticket; the columns
the services keep in step (the customer's last follow-up, the deal's last
activity, a ticket's SLA due time and resolution times) agree with the rows.

`--keepdb` keeps the test database (test_<name> on PostgreSQL, a file next to
the configured one on SQLite) so a later run, or EXPLAIN, starts from the rows
already there instead of generating them again.
"""

import datetime
import os
import random
import statistics
import time
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone

from crm import roles
from crm.models import SecurityEvent
from customers.models import (
    Contact,
    Customer,
    CustomerUserObjectPermission,
    Industry,
    Region,
    Tag,
)
from followups.demo import GOALS, TOPICS
from followups.models import FollowUp, Ticket
from followups.ticket_demo import RESOLUTIONS
from followups.ticket_demo import SUBJECTS as TICKET_SUBJECTS
from opportunities.models import (
    DEFAULT_PROBABILITY,
    OPEN_STAGES,
    WON_STAGES,
    Opportunity,
    Payment,
    Stage,
    StageChange,
)

BATCH = 5000
SHARE_EVERY = 50  # 2% of the customers are shared with another rep
SUCCESS_EVERY = 10  # a tenth have a customer success manager
TRASH_EVERY = 200  # 0.5% are in the trash
SEARCH_NAME = "客户0000123"  # customer #123, owned by rep1
OPPORTUNITY_EVERY = 2  # every second customer has a deal
# A funnel: most deals early, fewer won, some lost.
STAGE_WEIGHTS = {
    Stage.LEAD: 30,
    Stage.ANALYSIS: 20,
    Stage.PROPOSAL: 15,
    Stage.NEGOTIATION: 10,
    Stage.WON: 10,
    Stage.AFTER_SALES: 5,
    Stage.LOST: 10,
}
# Follow-ups per customer, 0 to 6, 2.74 on average; the recent one of each
# active open deal (a quarter of the customers) brings it to DESIGN's 3.
FOLLOWUP_WEIGHTS = (13, 16, 18, 18, 15, 12, 8)
FOLLOWUP_METHODS = list(FollowUp.Method.values)
TICKET_EVERY = 10  # a tenth of the customers have a ticket
TICKET_KINDS = [Ticket.Kind.QUESTION, Ticket.Kind.COMPLAINT, Ticket.Kind.REQUEST]
TICKET_PRIORITIES = [
    Ticket.Priority.LOW,
    Ticket.Priority.MEDIUM,
    Ticket.Priority.HIGH,
    Ticket.Priority.URGENT,
]


class Command(BaseCommand):
    help = "Benchmark the main pages, admin vs rep1, and the export (p50/p95)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scales",
            default="1000,10000,100000",
            help="comma-separated customer counts, ascending (default: %(default)s)",
        )
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument(
            "--keepdb",
            action="store_true",
            help="keep the test database and reuse the rows it already has",
        )
        parser.add_argument(
            "--skip-export",
            action="store_true",
            help="do not time the exports (CSV and .xlsx)",
        )
        parser.add_argument(
            "--import-rows",
            type=int,
            default=10_000,
            help="rows of the generated customer .xlsx the import is timed on, "
            "after the pages (0: skip; the target is 100000)",
        )

    def handle(
        self, *args, scales, repeat, keepdb, skip_export, import_rows, **options
    ):
        setup_test_environment(debug=False)
        if keepdb and connection.vendor == "sqlite":
            # The default SQLite test database lives in memory; keep a file.
            name = Path(settings.DATABASES["default"]["NAME"]).with_name(
                "bench_test.sqlite3"
            )
            connection.settings_dict["TEST"]["NAME"] = str(name)
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=keepdb
        )
        try:
            self.users = self.make_users()
            self.rng = random.Random(7)
            self.industries = list(Industry.objects.all())
            self.regions = list(Region.objects.all())
            self.tags = list(Tag.objects.all())
            self.customer_rate = None
            have = Customer.objects.count()
            if have:
                self.stdout.write(f"(reusing {have:,} customers in {connection.alias})")
            for scale in sorted(int(s) for s in scales.split(",")):
                insert_rate = None
                if scale > have:
                    insert_rate = self.grow(have, scale)
                    self.customer_rate = insert_rate
                    have = scale
                self.report(have, insert_rate, repeat, skip_export)
            if import_rows:
                self.time_import(import_rows)
        finally:
            if not keepdb:
                connection.creation.destroy_test_db(old_name, verbosity=0)

    def make_users(self):
        users = {}
        for name, role in [
            ("admin", roles.ADMIN),
            ("manager", roles.SALES_MANAGER),
            ("rep1", roles.SALES_REP),
            ("rep2", roles.SALES_REP),
            ("service", roles.SERVICE),
            ("success", roles.SUCCESS),
        ]:
            user = User.objects.filter(username=name).first()
            if user is None:
                user = User.objects.create_user(name, password="bench")
                user.groups.add(Group.objects.get(name=role))
            users[name] = user
        return users

    def grow(self, start: int, end: int) -> float:
        """Add customers start..end with a contact, tags, shares, deals (with
        their stage history and payments), follow-ups and tickets; customer
        rows/s (the deals' and follow-ups' rates go to `self.deal_rate` and
        `self.followup_rate`)."""
        owners = [self.users["rep1"], self.users["rep2"], self.users["manager"]]
        reps = [self.users["rep1"], self.users["rep2"]]
        perms = {
            a: Permission.objects.get(codename=f"{a}_customer")
            for a in ("view", "change")
        }
        base_day = datetime.date(2020, 1, 1)
        today = timezone.localdate()
        now = timezone.now()
        rng = self.rng
        statuses = list(Customer.Status.values)
        # Serials of the generated follow-up and ticket numbers, after those
        # of an earlier run kept with --keepdb.
        self.followup_serial = FollowUp.objects.count()
        self.ticket_serial = Ticket.objects.count()
        updated_at = Customer._meta.get_field("updated_at")
        elapsed = deal_elapsed = followup_elapsed = 0.0
        deal_count = followup_count = 0
        updated_at.auto_now = False  # spread updated_at like real edits do
        try:
            for offset in range(start, end, BATCH):
                count = min(BATCH, end - offset)
                batch, deals, moves, followups = [], [], [], []
                for i in range(offset, offset + count):
                    day = base_day + datetime.timedelta(days=i // 500)
                    created = now - datetime.timedelta(minutes=i)
                    renewal = None
                    if i % 3 == 0:
                        renewal = today + datetime.timedelta(
                            days=rng.randrange(-30, 365)
                        )
                    customer = Customer(
                        customer_no=f"C{day:%Y%m%d}{i % 500 + 1:03d}",
                        name=f"基准测试客户{i:07d}有限公司",
                        industry=rng.choice(self.industries),
                        region=rng.choice(self.regions),
                        level=rng.choice("ABCD"),
                        status=rng.choice(statuses),
                        historical_amount=Decimal(rng.randrange(0, 10**8)) / 100,
                        owner=owners[i % len(owners)],
                        success_manager=(
                            self.users["success"] if i % SUCCESS_EVERY == 5 else None
                        ),
                        renewal_date=renewal,
                        created_at=created,
                        updated_at=created + (now - created) * rng.random(),
                        deleted_at=now if i % TRASH_EVERY == 199 else None,
                    )
                    batch.append(customer)
                    # The deal (unsaved: bulk_create fills in the customer's
                    # key once the customers are in) before the follow-ups,
                    # which may be about it and move its last activity.
                    deal = None
                    if i % OPPORTUNITY_EVERY == 0:
                        deal, deal_moves = self.opportunity(customer, i, now, today)
                        deals.append(deal)
                        moves.extend(deal_moves)
                    rows = self.followups(customer, deal, i, now)
                    followups.extend(rows)
                    customer.last_followup_at = max(
                        (f.occurred_at for f in rows if f.deleted_at is None),
                        default=None,
                    )
                t0 = time.perf_counter()
                created = Customer.objects.bulk_create(batch)
                elapsed += time.perf_counter() - t0
                contacts = Contact.objects.bulk_create(
                    Contact(
                        customer=c,
                        name="联系人",
                        phone=f"138{c.pk % 10**8:08d}",
                        email=f"c{c.pk}@example.com",
                        is_primary=True,
                    )
                    for c in created
                )
                grants = []
                for c in created:
                    if c.pk % SHARE_EVERY:
                        continue
                    others = [r for r in reps if r.pk != c.owner_id]
                    colleague = others[c.pk % len(others)]
                    actions = ("view", "change") if c.pk % 100 else ("view",)
                    grants.extend(
                        CustomerUserObjectPermission(
                            user=colleague, permission=perms[a], content_object=c
                        )
                        for a in actions
                    )
                CustomerUserObjectPermission.objects.bulk_create(grants)
                t0 = time.perf_counter()
                Opportunity.objects.bulk_create(deals)
                deal_elapsed += time.perf_counter() - t0
                deal_count += len(deals)
                StageChange.objects.bulk_create(
                    StageChange(
                        opportunity=deal,
                        from_stage=old,
                        to_stage=new,
                        changed_at=at,
                        changed_by_id=deal.owner_id,
                    )
                    for deal, old, new, at in moves
                )
                Payment.objects.bulk_create(self.payments(deals, today))
                t0 = time.perf_counter()
                FollowUp.objects.bulk_create(followups)
                followup_elapsed += time.perf_counter() - t0
                followup_count += len(followups)
                Ticket.objects.bulk_create(
                    self.ticket(contact.customer, contact, i, now)
                    for i, contact in enumerate(contacts, start=offset)
                    if i % TICKET_EVERY == 3
                )
                Customer.tags.through.objects.bulk_create(
                    Customer.tags.through(
                        customer_id=c.pk, tag_id=self.tags[c.pk % 5].pk
                    )
                    for c in created
                    if c.pk % 3 == 0
                )
        finally:
            updated_at.auto_now = True
        # Fresh statistics and visibility map, as autovacuum keeps them
        # (VACUUM cannot run in a transaction: a test's rows go without).
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(
                    "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
                )
        self.deal_rate = deal_count / deal_elapsed if deal_elapsed else 0.0
        self.followup_rate = (
            followup_count / followup_elapsed if followup_elapsed else 0.0
        )
        return (end - start) / elapsed if elapsed else 0.0

    def opportunity(self, customer, i: int, now, today) -> tuple:
        """The deal of customer #i, with the columns the services would have
        set for its stage, and its stage history as (deal, from, to, at)."""
        rng = self.rng
        n = i // OPPORTUNITY_EVERY
        day = datetime.date(2020, 1, 1) + datetime.timedelta(days=n // 500)
        stage = rng.choices(list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values()))[0]
        created = customer.created_at + datetime.timedelta(
            minutes=rng.randrange(1, 60 * 24)
        )
        created = min(created, now)
        lost = stage == Stage.LOST
        lost_stage = rng.choice(OPEN_STAGES) if lost else ""
        path = self.stage_path(stage, lost_stage)
        # The moves happen between the creation and the last stage change;
        # a deal still in the stage it was created in never changed stage.
        changed = created
        if len(path) > 1:
            changed = created + (now - created) * rng.random()
        times = sorted(created + (changed - created) * rng.random() for _ in path[2:])
        times = [created, *times, changed][: len(path)]
        won_at = next(
            (at for s, at in zip(path, times, strict=True) if s in WON_STAGES), None
        )
        deal = Opportunity(
            opp_no=f"O{day:%Y%m%d}{n % 500 + 1:03d}",
            name=f"基准测试机会{n:07d}",
            customer=customer,
            owner_id=customer.owner_id,
            created_by_id=customer.owner_id,
            stage=stage,
            lost_stage=lost_stage,
            lost_reason="价格偏高" if lost else "",
            lost_at=changed if lost else None,
            won_at=won_at,
            amount=Decimal(rng.randrange(10**6, 10**9)) / 100,
            expected_close_date=(
                today + datetime.timedelta(days=rng.randrange(-60, 365))
                if rng.random() < 0.9
                else None
            ),
            probability=DEFAULT_PROBABILITY[stage],
            competitor=rng.choice(["", "", "用友", "金蝶", "销售易"]),
            created_at=created,
            stage_changed_at=changed,
            # The follow-ups logged on the deal move it later (followups()).
            last_activity_at=changed,
            deleted_at=now if n % TRASH_EVERY == 199 else None,
        )
        moves = [
            (deal, old, new, at)
            for old, new, at in zip(["", *path], path, times, strict=False)
        ]
        return deal, moves

    def stage_path(self, stage: str, lost_stage: str) -> list[str]:
        """The stages a deal now in `stage` went through, in order: most start
        as a lead, a few further on (imported, or found late); a tenth of the
        stages on the way are skipped. Won deals pass 成交 (售后 comes after
        it); lost ones end in 输单 from the stage they were lost at."""
        rng = self.rng
        order = list(OPEN_STAGES)
        if stage in OPEN_STAGES:
            last, tail = order.index(stage), []
        elif stage == Stage.LOST:
            last, tail = order.index(lost_stage), [Stage.LOST]
        else:
            last = len(order) - 1
            tail = [Stage.WON] if stage == Stage.WON else [Stage.WON, stage]
        first = 0 if rng.random() < 0.85 else rng.randint(0, last)
        path = [order[first]]
        for k in range(first + 1, last + 1):
            # Where an open or lost deal stands (stood) is on its path.
            kept = k == last and stage not in WON_STAGES
            if kept or rng.random() < 0.9:
                path.append(order[k])
        return path + tail

    def followups(self, customer, deal, i: int, now) -> list:
        """The follow-ups of customer #i over its life, oldest first: mostly
        by the owner; half of those since its deal began are about the deal
        (only up to its last stage change when it is to look stalled), and an
        active open deal (two in three) had one in the last 20 days. The last
        follow-up has a plan one time in two (overdue when past and not done);
        an earlier one now and then, mostly done since."""
        rng = self.rng
        life = now - customer.created_at
        times = sorted(
            customer.created_at + life * rng.random()
            for _ in range(rng.choices(range(7), FOLLOWUP_WEIGHTS)[0])
        )
        rows = [self.followup(customer, at, now) for at in times]
        if deal is not None:
            active = deal.stage in OPEN_STAGES and (i // OPPORTUNITY_EVERY) % 3
            if active:
                recent = now - datetime.timedelta(days=20) * rng.random()
                rows.append(self.followup(customer, max(recent, deal.created_at), now))
                rows[-1].opportunity = deal
            until = now if active else deal.stage_changed_at
            for row in rows:
                if (
                    row.deleted_at is None
                    and deal.created_at <= row.occurred_at <= until
                    and (row.opportunity is deal or rng.random() < 0.5)
                ):
                    row.opportunity = deal
                    deal.last_activity_at = max(deal.last_activity_at, row.occurred_at)
            rows.sort(key=lambda row: row.occurred_at)
        for k, row in enumerate(rows):
            latest = k == len(rows) - 1
            if rng.random() >= (0.5 if latest else 0.2):
                continue
            # Mostly soon (a call back the same day or the next), up to 2 weeks.
            row.next_at = row.occurred_at + datetime.timedelta(days=14) * (
                rng.random() ** 3
            )
            row.next_owner_id = row.user_id if rng.random() < 0.9 else customer.owner_id
            row.next_goal = rng.choice(GOALS)
            row.next_done = row.next_at < now and rng.random() < (
                0.5 if latest else 0.9
            )
        return rows

    def followup(self, customer, at, now) -> FollowUp:
        """One follow-up on `customer` at `at`, numbered like the app does."""
        rng = self.rng
        j = self.followup_serial
        self.followup_serial += 1
        # Numbered from 2000 on: at three million follow-ups the days run to
        # 2016, never a day the app numbers today's records for.
        day = datetime.date(2000, 1, 1) + datetime.timedelta(days=j // 500)
        user_id = customer.owner_id
        draw = rng.random()
        if draw < 0.1 and customer.success_manager_id:
            user_id = customer.success_manager_id
        elif draw < 0.15:
            user_id = self.users["manager"].pk
        content, feedback = rng.choice(TOPICS)
        return FollowUp(
            record_no=f"F{day:%Y%m%d}{j % 500 + 1:03d}",
            customer=customer,
            occurred_at=at,
            method=rng.choice(FOLLOWUP_METHODS),
            user_id=user_id,
            content=content,
            feedback=feedback if rng.random() < 0.6 else "",
            created_at=at,
            deleted_at=now if j % TRASH_EVERY == 199 else None,
        )

    def payments(self, deals: list, today) -> list:
        """0–3 payments on each won deal, received from the day it was won to
        today, together all of its amount (half the deals) or part of it."""
        rng = self.rng
        cent = Decimal("0.01")
        methods = list(Payment.Method.values)
        payments = []
        for deal in deals:
            if deal.won_at is None:
                continue
            count = rng.randint(0, 3)
            if not count:
                continue
            share = 1 if rng.random() < 0.5 else Decimal(rng.randint(20, 90)) / 100
            total = (deal.amount * share).quantize(cent, rounding=ROUND_DOWN)
            weights = [rng.randint(1, 10) for _ in range(count)]
            parts = [
                (total * w / sum(weights)).quantize(cent, rounding=ROUND_DOWN)
                for w in weights[1:]
            ]
            parts.insert(0, total - sum(parts))
            won_day = timezone.localdate(deal.won_at)
            span = (today - won_day).days
            days = sorted(
                won_day + datetime.timedelta(days=rng.randint(0, span)) for _ in parts
            )
            payments.extend(
                Payment(
                    opportunity=deal,
                    amount=amount,
                    received_on=received_on,
                    method=rng.choice(methods),
                    created_by_id=deal.owner_id,
                )
                for amount, received_on in zip(parts, days, strict=True)
            )
        return payments

    def ticket(self, customer, contact, i: int, now) -> Ticket:
        """A ticket on customer #i, opened some time in its life, with the
        columns its status brings: the SLA due time from the priority, the
        resolution (within the SLA about two times in three), the closing and,
        on most closed ones, a satisfaction score."""
        rng = self.rng
        j = self.ticket_serial
        self.ticket_serial += 1
        day = datetime.date(2000, 1, 1) + datetime.timedelta(days=j // 500)
        kind = rng.choices(TICKET_KINDS, (50, 20, 30))[0]
        priority = rng.choices(TICKET_PRIORITIES, (20, 45, 25, 10))[0]
        status = rng.choices(Ticket.Status.values, (10, 15, 5, 15, 55))[0]
        created = customer.created_at + (now - customer.created_at) * rng.random()
        sla = Ticket.SLA[priority]
        resolved_at = closed_at = satisfaction = None
        if status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            resolved_at = min(created + sla * rng.uniform(0.05, 1.5), now)
        if status == Ticket.Status.CLOSED:
            closed_at = min(
                resolved_at + datetime.timedelta(hours=rng.uniform(1, 72)), now
            )
            if rng.random() < 0.7:
                satisfaction = rng.choices(range(1, 6), (5, 10, 20, 35, 30))[0]
        service = self.users["service"].pk
        assignee_id = service if rng.random() < 0.9 else customer.owner_id
        if status == Ticket.Status.NEW and rng.random() < 0.5:
            assignee_id = None  # waiting in the unassigned tab
        subject, description = rng.choice(TICKET_SUBJECTS[kind])
        return Ticket(
            ticket_no=f"S{day:%Y%m%d}{j % 500 + 1:03d}",
            customer=customer,
            contact=contact,
            kind=kind,
            priority=priority,
            status=status,
            assignee_id=assignee_id,
            subject=subject,
            description=description,
            resolution=rng.choice(RESOLUTIONS) if resolved_at else "",
            due_at=created + sla,
            resolved_at=resolved_at,
            closed_at=closed_at,
            satisfaction=satisfaction,
            created_by_id=service if rng.random() < 0.7 else customer.owner_id,
            created_at=created,
            deleted_at=now if j % TRASH_EVERY == 199 else None,
        )

    def measure(self, clients: dict, url: str, repeat: int) -> dict:
        """{username: (p50, p95, queries)}; the users' requests interleave, so
        load from elsewhere on the machine hits both sides alike. A page that
        does not answer 200 is left out of the timing and stands in the table
        as its status code, or the exception it raised (a page missing or
        broken is a finding, not a reason to lose the rest of the table)."""
        failed = {}
        for name, client in clients.items():  # warm-up, not timed
            try:
                response = client.get(url)
            except Exception as exc:  # reported in the table
                failed[name] = type(exc).__name__
                continue
            if response.status_code != 200:
                failed[name] = f"HTTP {response.status_code}"
        clients = {n: c for n, c in clients.items() if n not in failed}
        times = {name: [] for name in clients}
        queries = {}
        for _ in range(repeat):
            for name, client in clients.items():
                reset_queries()
                t0 = time.perf_counter()
                response = client.get(url)
                if response.streaming:
                    b"".join(response.streaming_content)
                times[name].append((time.perf_counter() - t0) * 1000)
                queries[name] = len(connection.queries)
        result = {}
        for name, samples in times.items():
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(len(samples) * 0.95) - 1)]
            result[name] = (statistics.median(samples), p95, queries[name])
        return result | failed

    def report(self, scale, insert_rate, repeat: int, skip_export: bool):
        connection.force_debug_cursor = True  # count queries
        rep1 = self.users["rep1"]
        sample = (
            Customer.objects.alive().filter(owner=rep1).order_by("-pk").first()
        )  # the newest, so not among the first page's rows by chance
        phone = Contact.objects.filter(customer=sample).values_list("phone", flat=True)[
            0
        ]
        deal = Opportunity.objects.alive().filter(owner=rep1).order_by("-pk").first()
        # Lists count at most CRM_LIST_COUNT_CAP rows, so pages stop there.
        visible = min(scale // 3, settings.CRM_LIST_COUNT_CAP)
        middle_page = visible // 50 // 2 or 1
        pages = [
            ("workbench", "/"),
            ("list", "/customers/"),
            ("list, middle page", f"/customers/?page={middle_page}"),
            ("list, status+level", "/customers/?status=active&level=A"),
            ("list, by name", "/customers/?ordering=name"),
            ("list, by amount desc", "/customers/?ordering=-historical_amount"),
            ("search name", f"/customers/?q={SEARCH_NAME}"),
            ("search phone (8 digits)", f"/customers/?q={phone[-8:]}"),
            ("customer detail", sample.get_absolute_url()),
            ("opportunities", "/opportunities/"),
            ("opportunities, won", "/opportunities/?stage=won"),
            ("opportunities, search", f"/opportunities/?q={deal.opp_no}"),
            ("opportunity board", "/opportunities/board/"),
            ("opportunity detail", deal.get_absolute_url()),
            ("follow-ups", "/followups/"),
            ("follow-up agenda", "/followups/agenda/"),
            ("tickets", "/tickets/"),
            ("report distribution", "/reports/distribution/"),
            ("report funnel", "/reports/funnel/"),
            ("report team, this year", "/reports/team/?period=this_year"),
            ("report value, this year", "/reports/value/?period=this_year"),
            ("report service, this yr", "/reports/service/?period=this_year"),
            ("report actions", "/reports/actions/"),
        ]
        clients = {}
        for username in ("admin", "rep1"):
            clients[username] = Client()
            clients[username].force_login(self.users[username])
        rows = [(label, self.measure(clients, url, repeat)) for label, url in pages]
        extra = []
        for username, label, url in [
            ("service", "list (contacts masked)", "/customers/"),
            ("success", "workbench", "/"),
            ("service", "tickets", "/tickets/"),
            ("success", "report actions", "/reports/actions/"),
        ]:
            client = Client()
            client.force_login(self.users[username])
            extra.append(
                (f"{label} [{username}]", self.measure({username: client}, url, repeat))
            )
        connection.force_debug_cursor = False

        out = self.stdout.write
        out(f"\n== {scale:,} customers ({connection.vendor}), p50 of {repeat}")
        out(
            f"{'page':26} {'admin p50':>9} {'p95':>7} {'q':>3}"
            f"   {'rep1 p50':>9} {'p95':>7} {'q':>3}   {'rep/admin':>9}"
        )
        for label, result in rows:
            admin, rep = result["admin"], result["rep1"]
            line = f"{label:26} {cell(admin)}   {cell(rep)}"
            if isinstance(admin, tuple) and isinstance(rep, tuple):
                ratio = rep[0] / admin[0] if admin[0] else float("inf")
                flag = "  <-- over 2x" if ratio > 2 else ""
                line += f"   {ratio:8.2f}x{flag}"
            out(line)
        for label, result in extra:
            (only,) = result.values()
            out(f"{label:26} {cell(only)}")
        if insert_rate is not None:
            out(f"{'raw bulk_create (customers)':36} {insert_rate:>12,.0f} rows/s")
            label = "raw bulk_create (opportunities)"
            out(f"{label:36} {self.deal_rate:>12,.0f} rows/s")
            label = "raw bulk_create (follow-ups)"
            out(f"{label:36} {self.followup_rate:>12,.0f} rows/s")
        out(
            "rows: "
            + ", ".join(
                f"{model.__name__} {model.objects.count():,}"
                for model in (Opportunity, StageChange, Payment, FollowUp, Ticket)
            )
        )
        if skip_export:
            return
        client = Client()
        client.force_login(self.users["admin"])
        for fmt in ("csv", "xlsx"):
            rate, growth, size = self.time_export(client, fmt)
            out(f"{fmt + ' export, all rows':36} {rate:>12,.0f} rows/s")
            out(f"{fmt + ' export, RSS growth (peak)':36} {growth:>12,.1f} MiB")
            out(f"{fmt + ' export, file size':36} {size / 2**20:>12,.1f} MiB")

    def time_export(self, client, fmt: str) -> tuple[float, float, int]:
        """(rows/s, MiB the process grew by at its peak, bytes) of exporting
        every customer, the file read as a browser would and dropped."""
        before = rss_mib()
        peak = before
        size = 0
        t0 = time.perf_counter()
        response = client.get("/customers/export/", {"format": fmt})
        for chunk in response.streaming_content:
            size += len(chunk)
            peak = max(peak, rss_mib())
        seconds = time.perf_counter() - t0
        exported = SecurityEvent.objects.filter(kind="export").latest("id").rows
        return exported / seconds, peak - before, size

    def time_import(self, rows: int) -> None:
        """Import a generated .xlsx of `rows` new customers (with a primary
        contact, tags, owner and creation time) through the engine the wizard
        and `crm_import` use, inside a transaction rolled back afterwards; print
        rows/s (reading included) and the process's peak resident memory."""
        from django.db import transaction
        from openpyxl import Workbook

        from crm.registry import registry
        from imports import engine, mapping, reading

        headers = [
            "客户名称", "客户类型", "所属行业", "省份", "城市", "客户等级",
            "客户状态", "历史合作金额", "客户标签", "负责人", "联系人姓名",
            "联系方式", "邮箱", "创建时间",
        ]  # fmt: skip
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(headers)
        rng = random.Random(11)
        for i in range(rows):
            sheet.append(
                [
                    f"导入测试{i:07d}有限公司",
                    "企业",
                    rng.choice(self.industries).name,
                    rng.choice(self.regions).name,
                    "杭州",
                    rng.choice("ABCD"),
                    "潜在客户",
                    f"{rng.randint(0, 500)}万",
                    "重点客户、高潜力客户",
                    rng.choice(["rep1", "rep2"]),
                    "张伟",
                    f"139{i:08d}",
                    f"buyer{i}@example.com",
                    "2024-03-15 14:30",
                ]
            )
        path = Path(settings.BASE_DIR) / f".bench-import-{os.getpid()}.xlsx"
        try:
            book.save(path)
            data = path.read_bytes()
        finally:
            path.unlink(missing_ok=True)
        spec = registry.importers["customers"]
        admin = self.users["admin"]
        before = rss_mib()
        peak = [before]

        def progress(done, total):
            peak[0] = max(peak[0], rss_mib())

        t0 = time.perf_counter()
        with transaction.atomic():
            table = reading.read_table(data, filename="bench.xlsx")
            columns = mapping.auto_map(spec, table.headers)
            result = engine.run_import(
                spec, table, columns, user=admin, dry_run=False, progress=progress
            )
            seconds = time.perf_counter() - t0
            peak[0] = max(peak[0], rss_mib())
            transaction.set_rollback(True)
        out = self.stdout.write
        out(f"\n== import of {rows:,} new customers from .xlsx ({connection.vendor})")
        if not result.ok:
            first = result.errors[0]
            out(f"refused: {len(result.errors)} errors, e.g. row {first.row} "
                f"{first.column}: {first.message}")  # fmt: skip
            return
        out(f"{'import, all rows':36} {result.new / seconds:>12,.0f} rows/s")
        out(f"{'import, seconds':36} {seconds:>12,.1f}")
        out(f"{'import, peak RSS (process)':36} {peak[0]:>12,.0f} MiB")
        out(f"{'import, RSS growth (peak)':36} {peak[0] - before:>12,.0f} MiB")
        if self.customer_rate:
            label = "raw bulk_create (customers)"
            out(f"{label:36} {self.customer_rate:>12,.0f} rows/s")


def cell(result) -> str:
    """A user's p50, p95 and query count, or why the page was not timed."""
    if not isinstance(result, tuple):
        return f"{result:>21}"
    p50, p95, queries = result
    return f"{p50:9.1f} {p95:7.1f} {queries:3}"


def rss_mib() -> float:
    """The resident memory of this process now (Linux), in MiB."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
