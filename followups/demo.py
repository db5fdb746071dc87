"""Demo follow-ups (`manage.py seed_demo`): the last three months of calls,
e-mails, visits and online meetings on every rep's customers, and open plans
due today, overdue and later for rep1, rep2, the manager and customer success.

Idempotent: a user who already logged follow-ups gets none added. Everything
goes through followups.services, so history and the customers' "last
follow-up" are made as in the UI.
"""

import datetime
import random

from django.utils import timezone

from customers.models import Customer

from . import services
from .models import FollowUp
from .selectors import day_bounds, site_zone

SEED = 7

TOPICS = [
    (
        "电话沟通年度采购计划，客户预计下季度启动选型。",
        "对价格较敏感，希望看到同行业案例。",
    ),
    (
        "上门拜访信息中心负责人，演示了客户管理与报表模块。",
        "对移动端录入很感兴趣，要求提供试用账号。",
    ),
    ("邮件发送产品报价单和实施方案。", "已转给采购部，等待内部评审。"),
    (
        "线上会议讨论数据迁移范围和上线时间表。",
        "希望 3 月底前完成迁移，担心历史数据质量。",
    ),
    ("电话回访使用情况，了解续约意向。", "整体满意，提出报表导出速度需要改进。"),
    ("面谈确认合同条款，法务提出两处修改意见。", "付款方式希望分三期。"),
    ("线上培训新入职的销售团队。", "培训效果好，要求补充操作手册。"),
    ("邮件跟进发票和回款进度。", "财务确认本月 25 日前付款。"),
]
GOALS = [
    "确认试用反馈，推进报价",
    "约技术负责人做方案评审",
    "催促合同盖章回传",
    "回访续约意向，介绍新版本",
    "确认回款到账时间",
    "邀请参加下月产品沙龙",
]


def _minutes(rng) -> int:
    return rng.choice([0, 15, 30, 45])


def _at(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=site_zone()
    )


def _customers_of(user) -> list[Customer]:
    """Sales roles follow up the customers they hold; customer success the
    accounts they look after (which they only view)."""
    action = "view" if user.username == "success" else "change"
    return list(Customer.objects.for_user(user, action).order_by("customer_no")[:40])


def seed(users: dict, stdout) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    made = 0
    for username in ("rep1", "rep2", "manager", "success"):
        user = users.get(username)
        if user is None or FollowUp.objects.filter(user=user).exists():
            continue
        customers = _customers_of(user)
        if not customers:
            continue
        for customer in customers:
            for _i in range(rng.randint(1, 3)):
                content, feedback = rng.choice(TOPICS)
                day = today - datetime.timedelta(days=rng.randint(1, 90))
                services.followup_create(
                    actor=user,
                    customer=customer,
                    data={
                        "occurred_at": _at(day, rng.randint(9, 17), _minutes(rng)),
                        "method": rng.choice(FollowUp.Method.values),
                        "content": content,
                        "feedback": feedback,
                    },
                )
                made += 1
        # Plans: two overdue, two due later today, three
        # in the coming days; each on the latest follow-up of a customer.
        _start, tomorrow = day_bounds(now)
        left_today = tomorrow - now
        offsets = [
            -datetime.timedelta(days=3, hours=2),
            -datetime.timedelta(hours=5),
            left_today / 3,
            left_today * 2 / 3,
            datetime.timedelta(days=1, hours=1),
            datetime.timedelta(days=3),
            datetime.timedelta(days=6),
        ]
        for customer, offset in zip(customers, offsets, strict=False):
            content, feedback = rng.choice(TOPICS)
            occurred = now - datetime.timedelta(days=rng.randint(4, 10))
            next_at = (now + offset).replace(second=0, microsecond=0)
            if offset < datetime.timedelta(0):
                occurred = next_at - datetime.timedelta(days=rng.randint(2, 6))
            services.followup_create(
                actor=user,
                customer=customer,
                data={
                    "occurred_at": occurred,
                    "method": rng.choice(FollowUp.Method.values),
                    "content": content,
                    "feedback": feedback,
                    "next_at": next_at,
                    "next_owner": user,
                    "next_goal": rng.choice(GOALS),
                },
            )
            made += 1
    if made:
        stdout.write(f"{made} follow-ups created.")
