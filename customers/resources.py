"""The column map of a customer (DESIGN §6): one `Resource` for export and import.

The export streams rows through it today; the import wizard reads files with the
same columns. Headers are the ones users know from the template guide, in
Chinese whatever the interface language, so a file exported in English
re-imports as it is. Custom fields follow as columns named by their label.
"""

from django.utils import timezone
from import_export import fields, resources

from crm import customfields, privacy

from .models import Customer


class CustomerResource(resources.ModelResource):
    customer_no = fields.Field("customer_no", "客户ID")
    name = fields.Field("name", "客户名称")
    credit_code = fields.Field("credit_code", "统一社会信用代码")
    type = fields.Field("type", "客户类型")
    industry = fields.Field("industry", "所属行业")
    size = fields.Field("size", "公司规模")
    region = fields.Field("region", "省份")
    city = fields.Field("city", "城市")
    address = fields.Field("address", "注册地址")
    level = fields.Field("level", "客户等级")
    status = fields.Field("status", "客户状态")
    first_cooperation_date = fields.Field("first_cooperation_date", "首次合作时间")
    historical_amount = fields.Field("historical_amount", "历史合作金额")
    products = fields.Field("products", "合作产品/服务")
    tags = fields.Field("tags", "客户标签")
    owner = fields.Field("owner", "负责人")
    success_manager = fields.Field("success_manager", "客户成功经理")
    renewal_date = fields.Field("renewal_date", "续约日期")
    contact_name = fields.Field(column_name="联系人姓名")
    contact_title = fields.Field(column_name="联系人职务")
    contact_phone = fields.Field(column_name="联系方式")
    contact_email = fields.Field(column_name="邮箱")
    created_at = fields.Field("created_at", "创建时间")

    class Meta:
        model = Customer
        fields = (
            "customer_no", "name", "credit_code", "type", "industry", "size",
            "region", "city", "address", "level", "status",
            "first_cooperation_date", "historical_amount", "products", "tags",
            "owner", "success_manager", "renewal_date", "contact_name",
            "contact_title", "contact_phone", "contact_email", "created_at",
        )  # fmt: skip
        export_order = fields

    def __init__(self, *, custom_fields=(), **kwargs):
        super().__init__(**kwargs)
        # get_FOO_display() rebuilds its lookup per call; translate labels once.
        self.labels = {
            name: {k: str(v) for k, v in Customer._meta.get_field(name).flatchoices}
            for name in ("type", "size", "status")
        }
        for cf in custom_fields:
            field = fields.Field(
                column_name=cf.label,
                dehydrate_method=lambda c, cf=cf: customfields.display(
                    cf, c.custom.get(cf.key)
                ),
            )
            self.fields[f"cf_{cf.key}"] = field

    def rows(self, queryset):
        """Each customer of `queryset` as a list of cell values, streamed.

        `queryset` must come from `with_list_data()` and carry the
        `contacts_visible` flag (crm.privacy): a reader who may not see a
        customer's contact details gets them masked here as on screen."""
        export_fields = self.get_export_fields()
        for customer in queryset.iterator(chunk_size=2000):
            yield [self.export_field(f, customer) for f in export_fields]

    def _primary(self, c):
        return c.primary[0] if c.primary else None

    def _label(self, name, value):
        return self.labels[name].get(value, "")

    def dehydrate_type(self, c):
        return self._label("type", c.type)

    def dehydrate_size(self, c):
        return self._label("size", c.size)

    def dehydrate_status(self, c):
        return self._label("status", c.status)

    def dehydrate_industry(self, c):
        return c.industry.name if c.industry else ""

    def dehydrate_region(self, c):
        return c.region.name if c.region else ""

    def dehydrate_first_cooperation_date(self, c):
        return c.first_cooperation_date or ""

    def dehydrate_renewal_date(self, c):
        return c.renewal_date or ""

    def dehydrate_historical_amount(self, c):
        return c.historical_amount

    def dehydrate_tags(self, c):
        return ",".join(t.name for t in c.tags.all())

    def dehydrate_owner(self, c):
        return c.owner.username

    def dehydrate_success_manager(self, c):
        return c.success_manager.username if c.success_manager else ""

    def dehydrate_contact_name(self, c):
        p = self._primary(c)
        return p.name if p else ""

    def dehydrate_contact_title(self, c):
        p = self._primary(c)
        return p.title if p else ""

    def dehydrate_contact_phone(self, c):
        p = self._primary(c)
        return privacy.reveal(p.phone, c.contacts_visible, "phone") if p else ""

    def dehydrate_contact_email(self, c):
        p = self._primary(c)
        return privacy.reveal(p.email, c.contacts_visible, "email") if p else ""

    def dehydrate_created_at(self, c):
        return timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")
