"""Demo opportunities for `manage.py seed_demo` (registered in
OpportunitiesConfig.ready, after the follow-ups).

For every sales user's own customers (rep1, rep2, the manager): deals in
every stage, made through the services as the UI makes them, so numbers,
stage history, wins (the customer's historical amount, first cooperation,
status) and payments are real: each is created in an open stage, then moved
on to 成交/售后 or lost with a reason. Open deals close over the coming
months (the forecast), a few already overdue; won ones carry payments, some
partial and some in full; a few follow-ups are logged on deals.

Deals are created at their (past) creation time and moved at the times of
their steps; what the services stamp "now" (the history entries' times, the
latest activity) is then set back to when it happened with UPDATEs.
Two open deals of each seller (every third place of `PLAN`) are
left untouched for 35–75 days, so the stalled list (DESIGN §7, 30 days) has
rows; the other open deals moved or were followed up in the last 25 days.
Idempotent: nothing is added once any opportunity exists (in the trash too).
"""

import datetime
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from crm.models import HistoryEntry
from customers.models import Customer
from followups import services as followup_services
from followups.models import FollowUp

from . import services
from .models import OPEN_STAGES, Opportunity, Payment, Stage, StageChange

SEED = 2025
DEALS_PER_USER = 14

# What the deal is about, and the words its name ends with.
PRODUCTS = [
    "CRM 专业版",
    "CRM 标准版",
    "数据分析平台",
    "企业云盘",
    "呼叫中心模块",
    "电子签章",
    "私有化部署",
    "API 集成服务",
    "年度运维服务",
    "销售团队培训",
]
SUFFIXES = ["采购项目", "升级", "二期扩容", "年度续签", "替换项目", "试点"]
COMPETITORS = ["用友", "金蝶", "销售易", "纷享销客", "Salesforce", "", ""]
FOCUS = ["价格", "售后服务", "实施周期", "产品功能", "本地化部署", "数据安全", ""]
LOST_REASONS = [
    "价格偏高，客户选择了更便宜的方案。",
    "选择了竞争对手。",
    "预算取消，项目暂停。",
    "客户内部决策人变动，需求搁置。",
    "实施周期无法满足客户上线要求。",
]
FOLLOWUP_NOTES = [
    ("电话确认报价细节，客户希望再优惠 5%。", "下周内部评审后答复。"),
    ("上门演示方案，技术负责人参加。", "对数据迁移方案比较满意。"),
    ("线上会议讨论合同条款。", "法务提出付款节点修改意见。"),
    ("邮件发送实施计划和里程碑。", "已转给项目组确认。"),
]
# Each user's deals walk this list: every stage for every seller, more
# deals in the early stages than in the late ones, as in a real funnel.
PLAN = [
    Stage.LEAD,
    Stage.ANALYSIS,
    Stage.PROPOSAL,
    Stage.NEGOTIATION,
    Stage.WON,
    Stage.AFTER_SALES,
    Stage.LOST,
    Stage.LEAD,
    Stage.ANALYSIS,
    Stage.PROPOSAL,
    Stage.WON,
    Stage.LOST,
    Stage.NEGOTIATION,
    Stage.LEAD,
]


def _stamp(opportunity: Opportunity, at) -> None:
    """Move the deal's newest history entry to when the step happened."""
    entry = (
        HistoryEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity),
            object_id=str(opportunity.pk),
        )
        .order_by("-id")
        .first()
    )
    if entry is not None:
        HistoryEntry.objects.filter(pk=entry.pk).update(at=at)


def _amount(rng) -> Decimal:
    """50 thousand to 2 million yuan, in round thousands."""
    return Decimal(rng.randint(50, 2000) * 1000)


def _path(final: str) -> list[str]:
    """The open stages a deal goes through towards its final stage (a lost
    one is cut short where it was lost)."""
    if final in OPEN_STAGES:
        return list(OPEN_STAGES[: OPEN_STAGES.index(final) + 1])
    return list(OPEN_STAGES)


class Seeder:
    def __init__(self, users: dict):
        self.users = users
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.made = 0

    def customers_of(self, user) -> list[Customer]:
        return list(
            Customer.objects.for_user(user, "change")
            .filter(owner=user)
            .order_by("customer_no")[:DEALS_PER_USER]
        )

    def seed_user(self, user) -> None:
        customers = self.customers_of(user)
        if not customers:
            return
        for i, final in enumerate(PLAN):
            # Some customers get two deals: the list of customers wraps.
            customer = customers[i % len(customers)]
            self.deal(user, customer, final, stalled=i % 3 == 2)

    def deal(self, user, customer: Customer, final: str, stalled: bool) -> None:
        rng = self.rng
        product = rng.choice(PRODUCTS)
        path = _path(final)
        if final == Stage.LOST:
            path = path[: rng.randint(1, len(path))]
        age = rng.randint(20, 160)
        if final in OPEN_STAGES and stalled:
            age = max(age, 90)
        elif final == Stage.LEAD:
            # A lead that never moved: its creation is its last activity.
            age = rng.randint(1, 25)
        created = self.now - timedelta(days=age, hours=rng.randint(0, 8))
        # The steps after creation, spread over the deal's life; a stalled
        # open deal's last step is 35–75 days ago.
        last = self.now - timedelta(
            days=rng.randint(35, 75) if stalled else rng.randint(1, 12)
        )
        last = max(last, created + timedelta(hours=1))
        steps = len(path) - 1 + (0 if final in OPEN_STAGES else 1)
        steps += 1 if final == Stage.AFTER_SALES else 0
        times = sorted(
            created + (last - created) * rng.uniform(0.1, 1) for _i in range(steps)
        )
        if times:
            times[-1] = last
        if final in OPEN_STAGES and stalled:
            # A stalled deal has slipped past the date it was to close by.
            close = self.today - timedelta(days=rng.randint(3, 20))
        elif final in OPEN_STAGES:
            close = self.today + timedelta(days=rng.randint(7, 150))
        else:
            close = timezone.localdate(times[-1]) if times else self.today
        data = {
            "name": f"{product}{rng.choice(SUFFIXES)}",
            "amount": _amount(rng),
            "expected_close_date": close,
            "competitor": rng.choice(COMPETITORS),
            "competitor_focus": rng.choice(FOCUS),
        }
        deal = services.opportunity_create(
            actor=user, customer=customer, data=data, stage=path[0], created_at=created
        )
        self.backdate_creation(deal, created)
        moves = [*path[1:]]
        if final in (Stage.WON, Stage.AFTER_SALES):
            moves.append(Stage.WON)
        if final == Stage.AFTER_SALES:
            moves.append(Stage.AFTER_SALES)
        for stage, at in zip(moves, times, strict=False):
            deal = services.opportunity_move(
                actor=user,
                opportunity=deal,
                stage=stage,
                expected_version=deal.version,
                at=at,
            )
            _stamp(deal, at)
        if final == Stage.LOST:
            at = times[-1]
            deal = services.opportunity_lose(
                actor=user,
                opportunity=deal,
                reason=rng.choice(LOST_REASONS),
                expected_version=deal.version,
                at=at,
            )
            _stamp(deal, at)
        # The moves kept the latest of "now" (the creation) and their time.
        at = times[-1] if times else created
        Opportunity.objects.filter(pk=deal.pk).update(
            stage_changed_at=at, last_activity_at=at
        )
        if deal.is_won:
            self.payments(user, deal)
        elif deal.is_open and not stalled and rng.random() < 0.4:
            self.followup(user, deal)
        self.made += 1

    def backdate_creation(self, deal: Opportunity, created) -> None:
        Opportunity.objects.filter(pk=deal.pk).update(
            created_at=created, stage_changed_at=created, last_activity_at=created
        )
        StageChange.objects.filter(opportunity=deal).update(changed_at=created)
        _stamp(deal, created)
        deal.created_at = deal.stage_changed_at = deal.last_activity_at = created

    def payments(self, user, deal: Opportunity) -> None:
        """None, a part (a deposit, then maybe a second instalment) or all."""
        rng = self.rng
        won_on = timezone.localdate(deal.won_at)
        days = max((self.today - won_on).days, 0)
        roll = rng.random()
        if roll < 0.25:
            shares = []
        elif roll < 0.65:
            shares = [Decimal("0.3")] + ([Decimal("0.3")] if rng.random() < 0.5 else [])
        else:
            shares = [Decimal("0.5"), Decimal("0.5")]
        received = Decimal("0")
        for n, share in enumerate(shares, start=1):
            amount = (deal.amount * share).quantize(Decimal("0.01"))
            if n == len(shares) and sum(shares) == 1:
                amount = deal.amount - received
            on = won_on + timedelta(days=days * n // (len(shares) + 1))
            payment = services.payment_add(
                actor=user,
                opportunity=deal,
                data={
                    "amount": amount,
                    "received_on": on,
                    "method": rng.choice(
                        [
                            Payment.Method.BANK,
                            Payment.Method.BANK,
                            Payment.Method.ALIPAY,
                        ]
                    ),
                    "note": f"第 {n} 笔回款",
                },
            )
            received += payment.amount
            noon = datetime.datetime.combine(on, datetime.time(12))
            _stamp(deal, max(timezone.make_aware(noon), deal.won_at))

    def followup(self, user, deal: Opportunity) -> None:
        """A follow-up logged on the deal in the last days (it counts as the
        deal's latest activity)."""
        content, feedback = self.rng.choice(FOLLOWUP_NOTES)
        at = self.now - timedelta(hours=self.rng.randint(2, 60))
        followup_services.followup_create(
            actor=user,
            customer=deal.customer,
            data={
                "opportunity": deal,
                "occurred_at": max(at, deal.last_activity_at),
                "method": self.rng.choice(FollowUp.Method.values),
                "content": content,
                "feedback": feedback,
            },
        )


def seed(users: dict, stdout) -> None:
    if Opportunity.objects.exists():
        return
    seeder = Seeder(users)
    with transaction.atomic():
        for username in ("rep1", "rep2", "manager"):
            user = users.get(username)
            if user is not None:
                seeder.seed_user(user)
    if seeder.made:
        stdout.write(f"{seeder.made} demo opportunities created.")
