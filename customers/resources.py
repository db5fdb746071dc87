"""The column map of a customer (DESIGN §6), declared once for the export.

Headers are the ones users know from the template guide, in Chinese whatever
the interface language, so a file exported in English re-imports as it is;
values are written the way the import reads them (choices by label, users by
username, tags joined by "、", dates ISO, amounts plain). Custom fields follow
as columns named by their label. The last four columns are the primary
contact, masked for a reader who may not see the customer's contact details
(crm.privacy) exactly as on screen.
"""

from django.db.models import FilteredRelation, Q

from crm import privacy
from imports.exporting import (
    TAG_SEPARATOR,
    Column,
    Export,
    Exporter,
    Lookup,
    Related,
    choice_labels,
    custom_columns,
    names_of,
    register,
    usernames,
)

from .models import Customer, Industry, Region

FIELDS = (
    "customer_no",
    "name",
    "credit_code",
    "type",
    "industry_id",
    "size",
    "region_id",
    "city",
    "address",
    "level",
    "status",
    "first_cooperation_date",
    "historical_amount",
    "products",
    "owner_id",
    "success_manager_id",
    "renewal_date",
    "created_at",
    "custom",
    privacy.FLAG,
    "primary__name",
    "primary__title",
    "primary__phone",
    "primary__email",
)


def with_primary_contact(queryset):
    """The primary contact's columns by a join (a customer has at most one)."""
    return queryset.annotate(
        primary=FilteredRelation("contacts", condition=Q(contacts__is_primary=True))
    )


def tag_names(pks) -> dict:
    names = {}
    through = Customer.tags.through.objects.filter(customer_id__in=pks)
    for customer_id, name in through.order_by("tag__name").values_list(
        "customer_id", "tag__name"
    ):
        names.setdefault(customer_id, []).append(name)
    return {pk: TAG_SEPARATOR.join(found) for pk, found in names.items()}


def contact(name: str, kind: str | None = None):
    key = f"primary__{name}"
    if kind is None:
        return lambda row: row[key]
    return lambda row: privacy.reveal(row[key], row[privacy.FLAG], kind)


def customer_export(custom_fields=()) -> Export:
    """Build under `imports.exporting.build` (labels in the site language).

    The rows must carry `privacy.FLAG` (`annotate_contact_visibility`)."""
    return Export(
        name="customers",
        fields=FIELDS,
        columns=[
            Column("客户ID", "customer_no"),
            Column("客户名称", "name"),
            Column("统一社会信用代码", "credit_code"),
            Column("客户类型", choice_labels(Customer, "type")),
            Column("所属行业", "industry"),
            Column("公司规模", choice_labels(Customer, "size")),
            Column("省份", "region"),
            Column("城市", "city"),
            Column("注册地址", "address"),
            Column("客户等级", "level"),
            Column("客户状态", choice_labels(Customer, "status")),
            Column("首次合作时间", "first_cooperation_date"),
            Column("历史合作金额", "historical_amount"),
            Column("合作产品/服务", "products"),
            Column("客户标签", "tags"),
            Column("负责人", "owner"),
            Column("客户成功经理", "success_manager"),
            Column("续约日期", "renewal_date"),
            Column("联系人姓名", contact("name")),
            Column("联系人职务", contact("title")),
            Column("联系方式", contact("phone", "phone")),
            Column("邮箱", contact("email", "email")),
            Column("创建时间", "created_at"),
            *custom_columns(custom_fields),
        ],
        lookups=[
            Lookup("industry", "industry_id", names_of(Industry)),
            Lookup("region", "region_id", names_of(Region)),
            Lookup("owner", "owner_id", usernames),
            Lookup("success_manager", "success_manager_id", usernames),
        ],
        related=[
            Related("tags", tag_names, default=""),
        ],
        prepare=with_primary_contact,
    )


register(
    Exporter(
        "customers",
        Customer,
        customer_export,
        rows=lambda queryset, user: privacy.annotate_contact_visibility(queryset, user),
    )
)
