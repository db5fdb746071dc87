"""Demo tickets for `manage.py seed_demo` (registered in FollowupsConfig.ready).

Tickets of every kind in every status over the last three months, made
through the services so numbers, history and notifications are as in the
UI; the times of their steps and comments are then moved back to when they
happened. Some open tickets are past their due time, some are assigned to
sales and customer-success colleagues (pulled in), closed ones carry a
satisfaction score. Idempotent: nothing is added once any ticket exists.
"""

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from crm.models import HistoryEntry
from customers.models import Customer

from . import ticket_services as services
from .models import Ticket, TicketComment

K, P = Ticket.Kind, Ticket.Priority

SUBJECTS = {
    K.QUESTION: [
        ("发票抬头如何修改", "客户财务询问已开具发票的抬头能否更改为新公司名称。"),
        (
            "年度运维包含哪些服务",
            "客户想确认年度运维合同中是否包含数据备份和上门巡检。",
        ),
        ("新增子账号的流程", "客户新入职 3 名销售，询问如何开通子账号及权限设置。"),
        ("数据导出格式咨询", "客户希望把客户档案导出为 Excel，询问字段能否自定义。"),
    ],
    K.COMPLAINT: [
        ("实施顾问多次改期", "客户投诉实施顾问连续两次临时改期，影响项目上线计划。"),
        (
            "系统高峰期访问缓慢",
            "每天上午 9 点到 10 点打开客户列表需要 10 秒以上，业务员抱怨严重。",
        ),
        (
            "账单金额与合同不符",
            "本季度账单比合同约定多出 3,200 元，客户要求解释并退还差额。",
        ),
        ("客服电话长时间无人接听", "客户反映上周五下午拨打客服热线 40 分钟无人接听。"),
    ],
    K.REQUEST: [
        ("申请上门培训", "客户新团队需要一次半天的上门培训，希望安排在下周。"),
        ("恢复误删的联系人", "客户管理员误删了 12 条联系人记录，请求从备份恢复。"),
        ("开通 API 接口权限", "客户 IT 部门需要对接内部 ERP，申请开通 API 访问权限。"),
        ("调整合同续约日期", "因预算周期调整，客户申请将续约日期推迟一个月。"),
    ],
}
COMMENTS = [
    "已电话联系客户，确认了问题细节。",
    "已转交技术同事排查，预计明天给出结论。",
    "客户补充了截图，问题可以复现。",
    "已向客户说明处理进度，客户表示理解。",
    "方案已发给客户，等待对方确认。",
]
RESOLUTIONS = [
    "已按客户要求完成处理，并电话回访确认。",
    "定位到配置问题并已修正，客户验证通过。",
    "已退还差额并向客户书面致歉。",
    "已安排专人跟进，客户确认问题解决。",
]
# Where each demo ticket ends: (final status, reopened first).
PATHS = [
    ("new", False),
    ("in_progress", False),
    ("waiting", False),
    ("resolved", False),
    ("closed", False),
    ("closed", False),
    ("in_progress", True),
    ("closed", True),
]
STEPS = {
    "new": [],
    "in_progress": ["start"],
    "waiting": ["start", "wait"],
    "resolved": ["start", "resolve"],
    "closed": ["start", "wait", "resolve", "close"],
}


def _stamp(ticket: Ticket, at) -> None:
    """Move the ticket's newest history entry to when the step happened."""
    entry = (
        HistoryEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Ticket),
            object_id=str(ticket.pk),
        )
        .order_by("-id")
        .first()
    )
    if entry is not None:
        HistoryEntry.objects.filter(pk=entry.pk).update(at=at)


def seed(users: dict, stdout, count: int = 30) -> None:
    if Ticket.objects.exists() or "service" not in users:
        return
    customers = list(Customer.objects.alive().order_by("id")[:80])
    if not customers:
        return
    rng = random.Random(2026)
    service = users["service"]
    pulled_in = [users[name] for name in ("rep1", "rep2", "success") if name in users]
    now = timezone.now()
    kinds = list(K)
    with transaction.atomic():
        for i in range(count):
            customer = rng.choice(customers)
            contacts = list(customer.contacts.all())
            kind = kinds[i % len(kinds)]
            subject, description = rng.choice(SUBJECTS[kind])
            priority = rng.choice([P.LOW, P.MEDIUM, P.MEDIUM, P.HIGH, P.URGENT])
            final, reopened = PATHS[i % len(PATHS)]
            # New and open ones mostly recent, one in three long past due.
            if final == "new":
                age = rng.uniform(0.05, 2.5)
            elif final in ("in_progress", "waiting"):
                age = rng.uniform(0.1, 2) if i % 3 else rng.uniform(8, 30)
            else:
                age = rng.uniform(1, 90)
            created = now - timedelta(days=age)
            assignee = None
            if final != "new" or i % 3:
                assignee = rng.choice(pulled_in) if i % 4 == 1 else service
            ticket = services.ticket_open(
                actor=service,
                customer=customer,
                data={
                    "kind": kind,
                    "priority": priority,
                    "subject": subject,
                    "description": description,
                    "contact": rng.choice(contacts) if contacts else None,
                },
                assignee=assignee,
                created_at=created,
            )
            _stamp(ticket, created)
            steps = list(STEPS[final])
            if reopened:
                steps = ["start", "resolve", "reopen", *steps[1:]]
            span = max((now - created).total_seconds(), 3600)
            times = sorted(
                created + timedelta(seconds=rng.uniform(0.05, 0.9) * span)
                for _step in range(len(steps) + 2)
            )
            for step, at in zip(steps, times, strict=False):
                ticket = services.ticket_transition(
                    actor=service,
                    ticket=ticket,
                    action=step,
                    expected_version=ticket.version,
                    resolution=rng.choice(RESOLUTIONS),
                    satisfaction=rng.choice([5, 5, 4, 4, 3, 2, None]),
                    at=at,
                )
                _stamp(ticket, at)
            for at in times[len(steps) :][: rng.randint(0, 2)]:
                author = ticket.assignee or service
                comment = services.ticket_comment(
                    actor=author, ticket=ticket, body=rng.choice(COMMENTS)
                )
                TicketComment.objects.filter(pk=comment.pk).update(created_at=at)
    stdout.write(f"{count} demo tickets created.")
