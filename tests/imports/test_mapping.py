"""Headers matched to columns by Chinese label or field name, loosely."""

from crm.models import CustomField
from imports.mapping import auto_map, normalise_header
from imports.specs import all_specs, get_spec


def test_normalise_header_folds_width_case_and_spaces():
    assert normalise_header(" 客户 名称　") == "客户名称"
    assert normalise_header("ＣＲＥＤＩＴ_Code") == "credit_code"
    assert normalise_header("合作产品／服务") == "合作产品/服务"


def test_headers_map_by_chinese_label_or_field_name(db):
    spec = get_spec("customers")
    mapping = auto_map(
        spec, ["客户 ID", "NAME", "省份", "credit_code", "备用列", "Owner", "客户名称"]
    )
    assert mapping == {
        0: "customer_no",
        1: "name",
        2: "region",
        3: "credit_code",
        4: None,  # unknown: the wizard offers it for mapping
        5: "owner",
        6: None,  # "name" is placed already
    }


def test_custom_fields_map_by_label(db):
    CustomField.objects.create(
        target="customer", key="staff", label="员工数", field_type="integer"
    )
    spec = get_spec("customers")
    assert auto_map(spec, ["员工数", "staff"]) == {0: "cf_staff", 1: None}
    column = next(c for c in spec.columns() if c.key == "cf_staff")
    assert column.header == "员工数"


def test_every_registered_spec_has_unique_keys_and_headers(db):
    keys = {spec.key for spec in all_specs()}
    assert {"customers", "contacts"} <= keys
    for spec in all_specs():
        columns = spec.columns()
        assert len({c.key for c in columns}) == len(columns)
        assert len({normalise_header(c.header) for c in columns}) == len(columns)


def test_the_customer_columns_are_design_s_headers_in_template_order(db):
    headers = [c.header for c in get_spec("customers").columns()]
    assert headers == [
        "客户ID", "客户名称", "统一社会信用代码", "客户类型", "所属行业", "公司规模",
        "省份", "城市", "注册地址", "客户等级", "客户状态", "首次合作时间",
        "历史合作金额", "合作产品/服务", "客户标签", "负责人", "客户成功经理",
        "续约日期", "联系人姓名", "联系人职务", "联系方式", "邮箱", "创建时间",
    ]  # fmt: skip
    choices = {c.key: c.choices for c in get_spec("customers").columns()}
    assert choices["type"] == ["企业", "个体工商户", "政府及事业单位", "其他"]
    assert choices["level"] == ["A", "B", "C", "D"]
