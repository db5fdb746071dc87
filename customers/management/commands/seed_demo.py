"""Demo data: one user per role and realistic Chinese customers.

`manage.py seed_demo [--password PW] [--customers N] [--host H] [--port P]` is
idempotent (host and port only name the login URL it prints): users are
found by username (their password is reset to PW), and customers are only
added until N non-deleted ones exist. Customers go through
`services.customer_create` so owner grants and history are made as in the UI.
"""

import random
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm import roles
from crm.registry import registry
from customers import services
from customers.models import Customer, Industry, Region, Tag
from customers.validators import CREDIT_CODE_CHARS, credit_code_check_char

SEED = 2024

# username, role group, Chinese full name, email
DEMO_USERS = [
    ("admin", roles.ADMIN, "王明", "wang.ming@demo-crm.cn"),
    ("manager", roles.SALES_MANAGER, "李娜", "li.na@demo-crm.cn"),
    ("rep1", roles.SALES_REP, "张伟", "zhang.wei@demo-crm.cn"),
    ("rep2", roles.SALES_REP, "刘洋", "liu.yang@demo-crm.cn"),
    ("service", roles.SERVICE, "陈静", "chen.jing@demo-crm.cn"),
    ("success", roles.SUCCESS, "赵磊", "zhao.lei@demo-crm.cn"),
]

# Province code → weight; 港澳台 are left out (no mainland credit codes).
REGION_WEIGHTS = {
    "44": 18, "33": 15, "32": 13, "31": 12, "11": 12,
    "37": 4, "42": 3, "51": 3, "35": 3, "34": 2, "43": 2, "41": 2, "50": 2,
    "12": 2, "61": 2, "21": 1, "36": 1, "13": 1, "45": 1, "53": 1, "52": 1,
    "14": 1, "23": 1, "22": 1, "46": 1, "15": 0.5, "62": 0.5, "65": 0.5,
    "64": 0.3, "63": 0.3, "54": 0.2,
}  # fmt: skip

# Province code → [(city, pinyin initials for email domains, 4-digit division
# code of GB/T 2260, districts separated by spaces)]
CITIES = {
    "11": [("北京", "bj", "1101", "海淀区 朝阳区 东城区 西城区 丰台区 昌平区 大兴区")],
    "12": [("天津", "tj", "1201", "和平区 河西区 南开区 滨海新区")],
    "13": [
        ("石家庄", "sjz", "1301", "长安区 桥西区 裕华区"),
        ("保定", "bd", "1306", "竞秀区 莲池区"),
        ("唐山", "ts", "1302", "路北区 路南区"),
    ],
    "14": [("太原", "ty", "1401", "小店区 迎泽区")],
    "15": [
        ("呼和浩特", "hhht", "1501", "赛罕区 新城区"),
        ("包头", "bt", "1502", "昆都仑区"),
    ],
    "21": [
        ("沈阳", "sy", "2101", "和平区 浑南区"),
        ("大连", "dl", "2102", "中山区 甘井子区"),
    ],
    "22": [("长春", "cc", "2201", "朝阳区 南关区")],
    "23": [("哈尔滨", "hrb", "2301", "南岗区 道里区")],
    "31": [
        ("上海", "sh", "3101", "浦东新区 徐汇区 静安区 闵行区 长宁区 杨浦区 嘉定区")
    ],
    "32": [
        ("南京", "nj", "3201", "鼓楼区 玄武区 建邺区 江宁区"),
        ("苏州", "sz", "3205", "姑苏区 吴中区 虎丘区 相城区"),
        ("无锡", "wx", "3202", "梁溪区 滨湖区 新吴区"),
        ("常州", "cz", "3204", "武进区 天宁区"),
        ("南通", "nt", "3206", "崇川区 通州区"),
    ],
    "33": [
        ("杭州", "hz", "3301", "西湖区 滨江区 余杭区 拱墅区 上城区 萧山区"),
        ("宁波", "nb", "3302", "鄞州区 海曙区 北仑区"),
        ("温州", "wz", "3303", "鹿城区 瓯海区"),
        ("绍兴", "sx", "3306", "越城区 柯桥区"),
        ("嘉兴", "jx", "3304", "南湖区 秀洲区"),
        ("金华", "jh", "3307", "婺城区 金东区"),
    ],
    "34": [
        ("合肥", "hf", "3401", "蜀山区 包河区 庐阳区"),
        ("芜湖", "wh", "3402", "镜湖区 鸠江区"),
    ],
    "35": [
        ("福州", "fz", "3501", "鼓楼区 仓山区"),
        ("厦门", "xm", "3502", "思明区 湖里区"),
        ("泉州", "qz", "3505", "丰泽区 鲤城区"),
    ],
    "36": [("南昌", "nc", "3601", "东湖区 红谷滩区")],
    "37": [
        ("济南", "jn", "3701", "历下区 槐荫区"),
        ("青岛", "qd", "3702", "市南区 崂山区 黄岛区"),
        ("烟台", "yt", "3706", "芝罘区 莱山区"),
    ],
    "41": [
        ("郑州", "zz", "4101", "金水区 中原区 二七区"),
        ("洛阳", "ly", "4103", "洛龙区 西工区"),
    ],
    "42": [
        ("武汉", "wh", "4201", "洪山区 江汉区 武昌区 东西湖区"),
        ("宜昌", "yc", "4205", "西陵区 伍家岗区"),
    ],
    "43": [
        ("长沙", "cs", "4301", "岳麓区 芙蓉区 雨花区"),
        ("株洲", "zz", "4302", "天元区 芦淞区"),
    ],
    "44": [
        ("广州", "gz", "4401", "天河区 越秀区 海珠区 番禺区 黄埔区"),
        ("深圳", "sz", "4403", "南山区 福田区 宝安区 龙岗区 龙华区"),
        ("东莞", "dg", "4419", "松山湖 长安镇 虎门镇 南城街道"),
        ("佛山", "fs", "4406", "禅城区 南海区 顺德区"),
        ("珠海", "zh", "4404", "香洲区 金湾区"),
        ("惠州", "hz", "4413", "惠城区 惠阳区"),
    ],
    "45": [
        ("南宁", "nn", "4501", "青秀区 西乡塘区"),
        ("柳州", "lz", "4502", "城中区 鱼峰区"),
    ],
    "46": [
        ("海口", "hk", "4601", "龙华区 美兰区"),
        ("三亚", "sy", "4602", "吉阳区 天涯区"),
    ],
    "50": [("重庆", "cq", "5001", "渝北区 江北区 渝中区 九龙坡区")],
    "51": [
        ("成都", "cd", "5101", "武侯区 锦江区 青羊区 成华区"),
        ("绵阳", "my", "5107", "涪城区 游仙区"),
    ],
    "52": [("贵阳", "gy", "5201", "观山湖区 南明区")],
    "53": [("昆明", "km", "5301", "五华区 盘龙区")],
    "54": [("拉萨", "ls", "5401", "城关区")],
    "61": [("西安", "xa", "6101", "雁塔区 碑林区 未央区")],
    "62": [("兰州", "lz", "6201", "城关区 七里河区")],
    "63": [("西宁", "xn", "6301", "城西区 城东区")],
    "64": [("银川", "yc", "6401", "金凤区 兴庆区")],
    "65": [("乌鲁木齐", "wlmq", "6501", "天山区 新市区")],
}
MUNICIPALITIES = {"11", "12", "31", "50"}

ROADS = [
    "人民路", "解放路", "中山路", "建设路", "科技路", "创业大道", "文化路", "新华路",
    "长江路", "黄河路", "学府路", "滨江大道", "软件园路", "高新大道", "金融街",
    "振兴路", "东风路", "和平路", "迎宾大道", "工业大道",
]  # fmt: skip
BUILDINGS = ["科技大厦", "国际中心", "创新园", "商务中心", "产业园", "金融中心"]

# 字号 (brand words) with their pinyin, for company names and email domains.
BRANDS = [
    ("云启", "yunqi"), ("华创", "huachuang"), ("汇通", "huitong"), ("博远", "boyuan"),
    ("鼎盛", "dingsheng"), ("恒信", "hengxin"), ("瑞丰", "ruifeng"),
    ("金桥", "jinqiao"),
    ("天成", "tiancheng"), ("众联", "zhonglian"), ("凯达", "kaida"), ("新锐", "xinrui"),
    ("优联", "youlian"), ("致远", "zhiyuan"), ("盛世", "shengshi"), ("宏图", "hongtu"),
    ("嘉和", "jiahe"), ("安泰", "antai"), ("明德", "mingde"), ("长青", "changqing"),
    ("正合", "zhenghe"), ("蓝海", "lanhai"), ("星辰", "xingchen"), ("锦程", "jincheng"),
    ("弘毅", "hongyi"), ("睿思", "ruisi"), ("卓越", "zhuoyue"), ("东方", "dongfang"),
    ("海纳", "haina"), ("百川", "baichuan"), ("同创", "tongchuang"), ("聚能", "juneng"),
    ("光华", "guanghua"), ("立信", "lixin"), ("振华", "zhenhua"), ("德润", "derun"),
    ("远航", "yuanhang"), ("信达", "xinda"), ("通达", "tongda"), ("尚品", "shangpin"),
    ("景行", "jingxing"), ("精诚", "jingcheng"), ("华瑞", "huarui"), ("泽坤", "zekun"),
    ("和润", "herun"), ("万象", "wanxiang"), ("青禾", "qinghe"), ("若水", "ruoshui"),
    ("启明", "qiming"), ("微澜", "weilan"), ("领航", "linghang"), ("思源", "siyuan"),
    ("博雅", "boya"), ("融汇", "ronghui"), ("宇恒", "yuheng"), ("欣荣", "xinrong"),
    ("晨曦", "chenxi"), ("澜峰", "lanfeng"), ("佳信", "jiaxin"), ("凌云", "lingyun"),
    ("易达", "yida"), ("兴邦", "xingbang"), ("智联", "zhilian"), ("数澜", "shulan"),
]  # fmt: skip

# Section → weight when picking an industry (T 国际组织 left out).
SECTION_WEIGHTS = {
    "I": 20, "C": 25, "F": 10, "L": 7, "M": 6, "E": 5, "G": 5, "J": 4, "K": 3,
    "Q": 3, "P": 3, "R": 2, "H": 2, "D": 2, "A": 2, "B": 1, "N": 1, "O": 1, "S": 1,
}  # fmt: skip
# Industry words of enterprise names, by division first, then by section.
DIVISION_WORDS = {
    "13": ["农产品", "食品"], "14": ["食品"], "15": ["饮品", "茶业"],
    "17": ["纺织"], "18": ["服饰"], "21": ["家具"], "26": ["化工", "新材料"],
    "27": ["生物医药", "制药"], "29": ["塑胶制品"], "30": ["建材"], "33": ["五金制品"],
    "34": ["机械设备", "精密制造"], "35": ["智能装备", "精密机械"],
    "36": ["汽车零部件"],
    "38": ["电气", "新能源科技"], "39": ["电子科技", "微电子"], "40": ["仪器仪表"],
    "63": ["通信技术"], "64": ["网络科技", "互联网科技"],
    "65": ["信息技术", "软件", "数据科技", "智能科技"], "66": ["融资担保"],
    "67": ["投资管理"], "68": ["保险代理"], "72": ["企业管理咨询", "商务服务"],
    "73": ["生物技术", "研究院"], "74": ["检测技术", "工程设计"],
}  # fmt: skip
SECTION_WORDS = {
    "A": ["农业科技", "生态农业"], "B": ["矿业"], "C": ["实业", "精密制造", "科技"],
    "D": ["能源", "电力科技", "燃气"], "E": ["建设工程", "建筑安装", "装饰工程"],
    "F": ["贸易", "商贸", "供应链管理"], "G": ["物流", "供应链", "运输"],
    "H": ["酒店管理", "餐饮管理"], "I": ["信息技术", "网络科技"], "J": ["投资"],
    "K": ["置业", "物业服务"], "L": ["租赁", "企业管理咨询", "人力资源"],
    "M": ["技术服务", "科技发展"], "N": ["环境科技", "环保工程"],
    "O": ["家政服务", "汽车服务"], "P": ["教育科技", "培训"],
    "Q": ["医疗科技", "健康管理"],
    "R": ["文化传媒", "体育发展"], "S": ["发展"],
}  # fmt: skip
# Public institutions: section → [(name template, pinyin slug for email)].
PUBLIC_NAMES = {
    "P": [
        ("{city}{brand}职业技术学院", "{brand}edu"),
        ("{city}市第{n}中学", "{city}{n}zhong"),
        ("{city}{brand}外国语学校", "{brand}school"),
    ],
    "Q": [
        ("{city}市第{n}人民医院", "{city}rmyy{n}"),
        ("{city}市妇幼保健院", "{city}fybjy"),
        ("{city}市中医院", "{city}zyy"),
    ],
    "S": [
        ("{city}市数据资源管理局", "{city}data"),
        ("{city}市市场监督管理局", "{city}amr"),
        ("{city}市人力资源和社会保障局", "{city}hrss"),
        ("{city}市交通运输局", "{city}jtj"),
        ("{city}市{district}教育局", "{city}edu"),
        ("{city}市{district}市场监督管理局", "{city}amr"),
    ],
}
PUBLIC_DOMAINS = {"P": "edu.cn", "Q": "org.cn", "S": "gov.cn"}
# 个体工商户 by section: shop words.
SOLE_WORDS = {
    "H": ["餐饮店", "小吃店", "茶餐厅"],
    "F": ["便利店", "五金店", "建材经营部", "日用品商行"],
    "O": ["家电维修部", "洗衣店", "汽车美容店"],
}
CN_NUMBERS = ["一", "二", "三", "四", "五", "六", "七"]

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("林", "lin"), ("高", "gao"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
    ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"),
    ("袁", "yuan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("叶", "ye"),
]  # fmt: skip
GIVEN_NAMES = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀兰", "xiulan"), ("霞", "xia"), ("平", "ping"),
    ("刚", "gang"), ("建华", "jianhua"), ("晓东", "xiaodong"), ("海燕", "haiyan"),
    ("志强", "zhiqiang"), ("文博", "wenbo"), ("思远", "siyuan"), ("雨婷", "yuting"),
    ("子涵", "zihan"), ("浩然", "haoran"), ("佳怡", "jiayi"), ("俊杰", "junjie"),
    ("欣怡", "xinyi"), ("宇航", "yuhang"), ("梦洁", "mengjie"), ("晨", "chen"),
    ("凯", "kai"), ("鹏", "peng"), ("婷", "ting"), ("立新", "lixin"),
]  # fmt: skip
TITLES = [
    "采购总监", "总经理", "IT经理", "技术总监", "财务经理", "副总经理", "采购经理",
    "行政主管", "运营总监", "信息部主管", "董事长助理", "销售总监",
]  # fmt: skip
PUBLIC_TITLES = ["信息中心主任", "办公室主任", "采购科科长", "副院长", "信息科工程师"]
SOLE_TITLES = ["经营者", "店长"]
CONTACT_NOTES = [
    "",
    "",
    "",
    "决策人",
    "技术对接人",
    "偏好微信沟通",
    "工作日上午方便联系",
]
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "176", "177", "180",
    "181", "182", "185", "186", "187", "188", "189", "199",
]  # fmt: skip
PRODUCTS = [
    "CRM 标准版", "CRM 专业版", "数据分析平台", "企业云盘", "API 集成服务",
    "私有化部署", "年度运维服务", "定制开发", "培训服务", "短信通知服务",
    "电子签章", "呼叫中心模块",
]  # fmt: skip

SIZES = [s for s, _label in Customer.Size.choices]
SIZE_WEIGHTS = [15, 30, 28, 12, 11, 4]
AMOUNT_BY_SIZE = {  # thousands of CNY, range of historical cooperation amount
    "1-19": (5, 80),
    "20-99": (20, 300),
    "100-499": (50, 1200),
    "500-999": (100, 3000),
    "1000-9999": (300, 8000),
    "10000+": (800, 20000),
}


class Command(BaseCommand):
    help = "Create demo users (one per role) and realistic demo customers."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo12345")
        parser.add_argument("--customers", type=int, default=60)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options):
        password = options["password"]
        wanted = options["customers"]
        if not password:
            raise CommandError("--password must not be empty.")
        if wanted < 0:
            raise CommandError("--customers must be 0 or more.")
        started = time.monotonic()
        with transaction.atomic():
            users = self.seed_users(password)
            existing = Customer.objects.filter(deleted_at__isnull=True).count()
            missing = max(wanted - existing, 0)
            if missing:
                Generator(users).create(missing)
            # Follow-ups, tickets, opportunities: what other modules seed.
            for _order, _name, seed in registry.demo_seeders:
                seed(users, self.stdout)
        self.stdout.write(
            f"{existing + missing} customers ({missing} created) "
            f"in {time.monotonic() - started:.1f}s."
        )
        self.print_logins(password, f"http://{options['host']}:{options['port']}/")

    def seed_users(self, password: str) -> dict:
        User = get_user_model()
        # Hash once: PBKDF2 is slow on purpose and every demo user shares PW.
        encoded = make_password(password)
        users = {}
        for username, role, full_name, email in DEMO_USERS:
            try:
                group = Group.objects.get(name=role)
            except Group.DoesNotExist as exc:
                raise CommandError(
                    f"Role group {role!r} is missing; run `manage.py migrate` first."
                ) from exc
            user, _created = User.objects.get_or_create(username=username)
            user.first_name = full_name
            user.last_name = ""
            user.email = email
            user.is_active = True
            if role == roles.ADMIN:
                user.is_staff = user.is_superuser = True
            user.password = encoded
            user.save()
            user.groups.add(group)
            users[username] = user
        return users

    def print_logins(self, password: str, url: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"Log in at {url} with:"))
        for username, role, full_name, _email in DEMO_USERS:
            self.stdout.write(
                f"  {username:<8} {role}（{full_name}）  password: {password}"
            )


class Generator:
    """Builds reproducible demo customers (random.Random(2024))."""

    def __init__(self, users: dict):
        self.rng = random.Random(SEED)
        self.users = users
        self.regions = {r.code: r for r in Region.objects.all()}
        self.region_codes = [c for c in REGION_WEIGHTS if c in self.regions]
        if not self.region_codes:
            raise CommandError("No provinces; run `manage.py load_reference` first.")
        self.sections = defaultdict(list)
        for industry in Industry.objects.all():
            if industry.section in SECTION_WEIGHTS:
                self.sections[industry.section].append(industry)
        if not self.sections:
            raise CommandError("No industries; run `manage.py load_reference` first.")
        self.section_codes = list(self.sections)
        self.tags = list(Tag.objects.all())
        self.codes = set(
            Customer.objects.exclude(credit_code="").values_list(
                "credit_code", flat=True
            )
        )
        self.names = set(Customer.objects.values_list("name", flat=True))
        self.phones = set()
        self.today = timezone.localdate()

    def create(self, count: int) -> None:
        for _i in range(count):
            actor, data, tags, contacts = self.customer()
            services.customer_create(
                actor=actor, data=data, tags=tags, contacts=contacts
            )

    # -- one customer ---------------------------------------------------------

    def customer(self):
        rng = self.rng
        region_code = rng.choices(
            self.region_codes, [REGION_WEIGHTS[c] for c in self.region_codes]
        )[0]
        city, city_py, division_code, districts = rng.choice(CITIES[region_code])
        district = rng.choice(districts.split())
        section = rng.choices(
            self.section_codes, [SECTION_WEIGHTS[s] for s in self.section_codes]
        )[0]
        industry = rng.choice(self.sections[section])
        kind = self.customer_type(section)
        name, domain = self.name(kind, section, industry, city, city_py, district)

        size = self.size(kind)
        status = rng.choices(
            [Customer.Status.POTENTIAL, Customer.Status.ACTIVE, Customer.Status.LOST],
            [45, 40, 15],
        )[0]
        active = status == Customer.Status.ACTIVE
        level = rng.choices("ABCD", [30, 40, 20, 10] if active else [8, 25, 40, 27])[0]
        owner = rng.choices(
            [self.users["rep1"], self.users["rep2"], self.users["manager"]],
            [40, 40, 20],
        )[0]
        data = {
            "name": name,
            "credit_code": self.credit_code(kind, section, division_code),
            "type": kind,
            "industry": industry,
            "size": size,
            "region": self.regions[region_code],
            "city": f"{city}市",
            "address": self.address(region_code, city, district),
            "level": level,
            "status": status,
            "owner": owner,
        }
        if status != Customer.Status.POTENTIAL:
            data["products"] = "、".join(rng.sample(PRODUCTS, rng.randint(1, 3)))
        if active:
            data["first_cooperation_date"] = self.today - timedelta(
                days=rng.randint(30, 365 * 6)
            )
            low, high = AMOUNT_BY_SIZE[size]
            data["historical_amount"] = Decimal(
                rng.randint(low, high) * 1000 + rng.choice([0, 0, 0, 500, 800, 880])
            ).quantize(Decimal("0.01"))
            if rng.random() < 1 / 3:
                data["success_manager"] = self.users["success"]
                roll = rng.random()
                if roll < 0.6:
                    data["renewal_date"] = self.today + timedelta(
                        days=rng.randint(1, 90)
                    )
                elif roll < 0.85:
                    data["renewal_date"] = self.today + timedelta(
                        days=rng.randint(91, 365)
                    )
        return owner, data, self.pick_tags(status, level), self.contacts(kind, domain)

    def customer_type(self, section: str) -> str:
        roll = self.rng.random()
        if section in PUBLIC_NAMES and roll < (0.95 if section == "S" else 0.5):
            return Customer.Type.PUBLIC
        if section in SOLE_WORDS and roll < 0.25:
            return Customer.Type.SOLE
        if roll > 0.98:
            return Customer.Type.OTHER
        return Customer.Type.ENTERPRISE

    def name(self, kind, section, industry, city, city_py, district):
        """A unique customer name and an email domain for its contacts."""
        rng, tries = self.rng, 0
        while True:
            brand, brand_py = rng.choice(BRANDS)
            if kind == Customer.Type.PUBLIC:
                template, slug = rng.choice(PUBLIC_NAMES[section])
                n = rng.randint(1, len(CN_NUMBERS))
                name = template.format(
                    city=city, district=district, brand=brand, n=CN_NUMBERS[n - 1]
                )
                domain = slug.format(city=city_py, brand=brand_py, n=n)
                domain = f"{domain}.{PUBLIC_DOMAINS[section]}"
            elif kind == Customer.Type.SOLE:
                name = f"{city}市{district}{brand}{rng.choice(SOLE_WORDS[section])}"
                domain = "163.com"
            else:
                words = DIVISION_WORDS.get(industry.code) or SECTION_WORDS[section]
                ending = rng.choices(
                    ["有限公司", "股份有限公司", "集团有限公司"], [75, 18, 7]
                )[0]
                if kind == Customer.Type.OTHER:
                    words, ending = ["投资"], "合伙企业（有限合伙）"
                prefix = city + ("市" if rng.random() < 0.4 else "")
                name = f"{prefix}{brand}{rng.choice(words)}{ending}"
                domain = f"{city_py}{brand_py}." + rng.choice(["com", "com", "cn"])
            tries += 1
            # Names need not be unique; give up looking after a while.
            if name not in self.names or tries > 200:
                self.names.add(name)
                return name, domain

    def size(self, kind) -> str:
        if kind == Customer.Type.SOLE:
            return "1-19"
        if kind == Customer.Type.PUBLIC:
            return self.rng.choice(["100-499", "500-999", "1000-9999"])
        return self.rng.choices(SIZES, SIZE_WEIGHTS)[0]

    def credit_code(self, kind, section, division_code) -> str:
        """A GB 32100 code: 91 enterprise, 92 sole trader, 11/12 public body."""
        rng = self.rng
        if rng.random() < 0.1:
            return ""
        head = {
            Customer.Type.SOLE: "92",
            Customer.Type.PUBLIC: "11" if section == "S" else "12",
        }.get(kind, "91")
        while True:
            district = f"{rng.randint(1, 12):02d}"
            org = "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(9))
            first17 = f"{head}{division_code}{district}{org}"
            code = first17 + credit_code_check_char(first17)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def address(self, region_code, city, district) -> str:
        rng = self.rng
        municipality = region_code in MUNICIPALITIES
        province = "" if municipality else self.regions[region_code].name
        street = f"{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        if rng.random() < 0.5:
            building = rng.choice(BUILDINGS) + rng.choice("ABC")
            street += f"{building}座{rng.randint(2, 28)}{rng.randint(1, 20):02d}室"
        return f"{province}{city}市{district}{street}"

    def pick_tags(self, status, level) -> list:
        if not self.tags:
            return []
        count = self.rng.choices([0, 1, 2], [45, 40, 15])[0]
        weights = []
        for tag in self.tags:
            weight = 1.0
            if tag.name == "风险客户":
                weight = 6.0 if status == Customer.Status.LOST else 0.5
            elif tag.name in ("重点客户", "战略合作伙伴") and level == "A":
                weight = 4.0
            weights.append(weight)
        chosen = []
        for _i in range(count):
            tag = self.rng.choices(self.tags, weights)[0]
            if tag not in chosen:
                chosen.append(tag)
        return chosen

    def contacts(self, kind, domain) -> list:
        rng = self.rng
        if kind == Customer.Type.SOLE:
            count, titles = 1, SOLE_TITLES
        elif kind == Customer.Type.PUBLIC:
            count, titles = rng.randint(1, 3), PUBLIC_TITLES
        else:
            count, titles = rng.choices([1, 2, 3], [40, 40, 20])[0], TITLES
        result, locals_used = [], set()
        for title in rng.sample(titles, count):
            surname, s_py = rng.choice(SURNAMES)
            given, g_py = rng.choice(GIVEN_NAMES)
            local = rng.choice([f"{s_py}.{g_py}", f"{s_py}{g_py}", f"{g_py}.{s_py}"])
            if kind == Customer.Type.SOLE:
                local = f"{s_py}{g_py}{rng.randint(60, 99)}"
            while local in locals_used:
                local += str(rng.randint(0, 9))
            locals_used.add(local)
            result.append(
                services.ContactData(
                    name=surname + given,
                    title=title,
                    phone=self.mobile(),
                    email=f"{local}@{domain}" if rng.random() < 0.9 else "",
                    is_primary=not result,
                    note=rng.choice(CONTACT_NOTES),
                )
            )
        return result

    def mobile(self) -> str:
        while True:
            prefix = self.rng.choice(MOBILE_PREFIXES)
            number = f"{prefix}{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number
