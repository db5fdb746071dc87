"""The export columns of opportunities and payments (DESIGN §6), declared once.

Headers in Chinese whatever the interface language; values as the import
reads them (stages by label, users by username, amounts plain, dates ISO).
"""

from customers.models import Customer
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

from .models import Opportunity, Payment


def opportunity_export(custom_fields=()) -> Export:
    return Export(
        name="opportunities",
        fields=(
            "opp_no",
            "name",
            "customer_id",
            "stage",
            "lost_stage",
            "lost_reason",
            "amount",
            "expected_close_date",
            "probability",
            "competitor",
            "competitor_focus",
            "owner_id",
            "created_at",
            "won_at",
            "custom",
        ),
        columns=[
            Column("机会ID", "opp_no"),
            Column("机会名称", "name"),
            Column("客户ID", "customer"),
            Column("销售阶段", choice_labels(Opportunity, "stage")),
            Column("输单阶段", choice_labels(Opportunity, "lost_stage")),
            Column("输单原因", "lost_reason"),
            Column("预计成交金额", "amount"),
            Column("预计成交日期", "expected_close_date"),
            Column("赢单概率", "probability"),
            Column("竞争对手", "competitor"),
            Column("客户对比关注点", "competitor_focus"),
            Column("负责人", "owner"),
            Column("创建时间", "created_at"),
            Column("成交时间", "won_at"),
            *custom_columns(custom_fields),
        ],
        lookups=[
            Lookup("customer", "customer_id", names_of(Customer, "customer_no")),
            Lookup("owner", "owner_id", usernames),
        ],
    )


def payment_export() -> Export:
    return Export(
        name="payments",
        fields=("opportunity_id", "amount", "received_on", "method", "note"),
        columns=[
            Column("机会ID", "opportunity"),
            Column("回款金额", "amount"),
            Column("回款日期", "received_on"),
            Column("回款方式", choice_labels(Payment, "method")),
            Column("备注", "note"),
        ],
        lookups=[
            Lookup("opportunity", "opportunity_id", names_of(Opportunity, "opp_no")),
        ],
    )


register(Exporter("opportunities", Opportunity, opportunity_export))
register(Exporter("payments", Payment, payment_export, permission_model=Opportunity))
