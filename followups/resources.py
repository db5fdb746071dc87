"""The export columns of follow-ups and tickets (DESIGN §6), declared once.

Headers in Chinese whatever the interface language; values as the import
reads them (choices by label, users by username, times in the site's zone).
A follow-up names its deal (机会ID) only for a reader who may view that deal,
as its pages do (`selectors.with_opportunity`).
"""

from customers.models import Contact, Customer
from imports.exporting import (
    Column,
    Export,
    Exporter,
    Lookup,
    choice_labels,
    custom_columns,
    names_of,
    register,
    usernames,
)
from opportunities.models import Opportunity

from .models import FollowUp, Ticket
from .selectors import with_opportunity


def visible_deal(row):
    return row["opportunity"] if row["opportunity_visible"] else None


def followup_export(custom_fields=()) -> Export:
    """Rows from `selectors.with_opportunity()` (the `opportunity_visible` flag)."""
    return Export(
        name="followups",
        fields=(
            "record_no",
            "customer_id",
            "opportunity_id",
            "opportunity_visible",
            "occurred_at",
            "method",
            "user_id",
            "content",
            "feedback",
            "next_at",
            "next_owner_id",
            "next_goal",
            "custom",
        ),
        columns=[
            Column("记录ID", "record_no"),
            Column("客户ID", "customer"),
            Column("机会ID", visible_deal),
            Column("跟进时间", "occurred_at"),
            Column("跟进方式", choice_labels(FollowUp, "method")),
            Column("跟进人", "user"),
            Column("跟进内容", "content"),
            Column("客户反馈", "feedback"),
            Column("下次跟进时间", "next_at"),
            Column("下次跟进人", "next_owner"),
            Column("下次跟进目标", "next_goal"),
            *custom_columns(custom_fields),
        ],
        lookups=[
            Lookup("customer", "customer_id", names_of(Customer, "customer_no")),
            Lookup("opportunity", "opportunity_id", names_of(Opportunity, "opp_no")),
            Lookup("user", "user_id", usernames),
            Lookup("next_owner", "next_owner_id", usernames),
        ],
    )


def ticket_export(custom_fields=()) -> Export:
    return Export(
        name="tickets",
        fields=(
            "ticket_no",
            "customer_id",
            "contact_id",
            "kind",
            "priority",
            "status",
            "assignee_id",
            "subject",
            "description",
            "resolution",
            "due_at",
            "resolved_at",
            "closed_at",
            "satisfaction",
            "created_by_id",
            "created_at",
            "custom",
        ),
        columns=[
            Column("工单ID", "ticket_no"),
            Column("客户ID", "customer"),
            Column("联系人", "contact"),
            Column("工单类型", choice_labels(Ticket, "kind")),
            Column("优先级", choice_labels(Ticket, "priority")),
            Column("工单状态", choice_labels(Ticket, "status")),
            Column("处理人", "assignee"),
            Column("主题", "subject"),
            Column("问题描述", "description"),
            Column("处理结果", "resolution"),
            Column("截止时间", "due_at"),
            Column("解决时间", "resolved_at"),
            Column("关闭时间", "closed_at"),
            Column("满意度", "satisfaction"),
            Column("创建人", "created_by"),
            Column("创建时间", "created_at"),
            *custom_columns(custom_fields),
        ],
        lookups=[
            Lookup("customer", "customer_id", names_of(Customer, "customer_no")),
            Lookup("contact", "contact_id", names_of(Contact)),
            Lookup("assignee", "assignee_id", usernames),
            Lookup("created_by", "created_by_id", usernames),
        ],
    )


register(
    Exporter(
        "followups",
        FollowUp,
        followup_export,
        rows=lambda queryset, user: with_opportunity(queryset, user),
    )
)
register(Exporter("tickets", Ticket, ticket_export))
