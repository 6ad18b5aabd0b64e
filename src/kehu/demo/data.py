"""Static tables the demo plan draws from: names, places, organisations, staff, products.

Everything here is sample content in Chinese (like the names), not user-interface text, so it is not translated.
Place codes are the real 6-digit administrative division codes (GB/T 2260); phone area codes are the real ones.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext_noop

# The 100-odd most common surnames with their approximate share of the population in per mille (2020 census
# order), plus a few compound surnames and surnames with a special reading (曾 zeng, 单 shan, 解 xie, 仇 qiu …).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 25), ("赵", 23), ("吴", 20),
    ("周", 19), ("徐", 15), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 13), ("郭", 11), ("何", 11), ("林", 10),
    ("高", 10), ("罗", 10), ("郑", 9), ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7),
    ("邓", 7), ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("袁", 5), ("潘", 5), ("于", 5),
    ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4), ("魏", 4), ("吕", 4), ("丁", 4),
    ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3),
    ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("付", 2), ("方", 2), ("白", 2),
    ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2),
    ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2), ("郝", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2), ("武", 2), ("戴", 2), ("覃", 1), ("莫", 1), ("孔", 1),
    ("向", 1), ("汤", 1), ("单", 0.5), ("解", 0.3), ("仇", 0.2), ("查", 0.3), ("区", 0.2), ("朴", 0.2),
    ("欧阳", 0.5), ("司马", 0.1), ("上官", 0.1), ("诸葛", 0.1),
)

# Given-name characters (about 150 in all): typically male, typically female, and used for both.
MALE_CHARACTERS = (
    "伟强磊军洋勇杰涛明超刚平辉鹏飞鑫波斌宇浩凯健俊帆帅旭龙林阳峰建国志海东晨博亮成坤瑞翔森川哲昊然轩睿泽铭诚彬锋毅"
    "航振庆顺松胜力康硕盛世尚"
)
FEMALE_CHARACTERS = (
    "芳娜敏静丽艳娟霞燕玲婷雪琳慧倩颖洁梅兰莉萍红晶欣怡佳悦琪璐露瑶蕾薇雯婧思诗梦雨晴月秀英珊淑爽素蓉凤莹茜媛馨妍彤菲"
    "岚丹琴艺涵亚美春"
)
SHARED_CHARACTERS = "文华晓子一天家嘉安乐心雅新永清宁楠可云"


class District(NamedTuple):
    province: str
    city: str
    district: str
    code: str  # administrative division code, also the first 6 digits of resident ID numbers issued there
    area_code: str  # long-distance dialling code of the city
    streets: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District("北京市", "北京市", "朝阳区", "110105", "010", ("建国路", "朝阳北路", "望京街", "光华路")),
    District("北京市", "北京市", "海淀区", "110108", "010", ("中关村大街", "学院路", "知春路", "万泉河路")),
    District("北京市", "北京市", "东城区", "110101", "010", ("王府井大街", "东直门内大街", "和平里东街")),
    District("上海市", "上海市", "黄浦区", "310101", "021", ("南京东路", "淮海中路", "西藏中路", "复兴中路")),
    District("上海市", "上海市", "徐汇区", "310104", "021", ("漕溪北路", "衡山路", "肇嘉浜路", "虹桥路")),
    District("上海市", "上海市", "浦东新区", "310115", "021", ("世纪大道", "张杨路", "陆家嘴环路", "东方路")),
    District("天津市", "天津市", "和平区", "120101", "022", ("南京路", "滨江道", "解放北路")),
    District("广东省", "深圳市", "南山区", "440305", "0755", ("深南大道", "科技园路", "南海大道", "后海大道")),
    District("广东省", "深圳市", "福田区", "440304", "0755", ("福华路", "益田路", "彩田路", "华强北路")),
    District("广东省", "广州市", "天河区", "440106", "020", ("天河路", "体育西路", "华夏路", "中山大道")),
    District("广东省", "广州市", "越秀区", "440104", "020", ("北京路", "环市东路", "东风中路")),
    District("浙江省", "杭州市", "西湖区", "330106", "0571", ("文三路", "天目山路", "曙光路", "教工路")),
    District("浙江省", "宁波市", "海曙区", "330203", "0574", ("中山西路", "药行街", "解放南路")),
    District("江苏省", "南京市", "玄武区", "320102", "025", ("中山路", "珠江路", "北京东路")),
    District("江苏省", "苏州市", "吴中区", "320506", "0512", ("东吴北路", "宝带西路", "吴中大道")),
    District("四川省", "成都市", "武侯区", "510107", "028", ("人民南路", "科华北路", "武侯祠大街", "天府大道北段")),
    District("湖北省", "武汉市", "武昌区", "420106", "027", ("中北路", "武珞路", "中南路")),
    District("重庆市", "重庆市", "渝中区", "500103", "023", ("民族路", "中山三路", "邹容路")),
    District("山东省", "青岛市", "市南区", "370202", "0532", ("香港中路", "东海西路", "山东路")),
    District("山东省", "济南市", "历下区", "370102", "0531", ("泉城路", "经十路", "解放路")),
    District("河南省", "郑州市", "金水区", "410105", "0371", ("花园路", "金水路", "农业路")),
    District("湖南省", "长沙市", "岳麓区", "430104", "0731", ("麓山南路", "桐梓坡路", "枫林一路")),
    District("陕西省", "西安市", "雁塔区", "610113", "029", ("小寨东路", "长安南路", "高新路")),
    District("福建省", "厦门市", "思明区", "350203", "0592", ("中山路", "湖滨南路", "厦禾路")),
    District("辽宁省", "大连市", "中山区", "210202", "0411", ("人民路", "友好路", "港湾街")),
    District("安徽省", "合肥市", "蜀山区", "340104", "0551", ("长江西路", "潜山路", "黄山路")),
    District("云南省", "昆明市", "五华区", "530102", "0871", ("东风西路", "青年路", "人民中路")),
    District("黑龙江省", "哈尔滨市", "南岗区", "230103", "0451", ("红军街", "西大直街", "果戈里大街")),
)
RESIDENTIAL_COMPOUNDS = ("阳光花园", "锦绣家园", "翠湖苑", "金色家园", "滨江公寓", "绿城小区", "世纪新城", "和平里小区",
                         "枫林苑", "紫荆花园", "名都雅苑", "东方明珠苑")
OFFICE_BUILDINGS = ("国际大厦", "财富中心", "科技园", "商务大厦", "金融广场", "创业大厦", "中心大厦", "环球中心")

# Mobile number prefixes in use by China Mobile, China Unicom and China Telecom.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157",
    "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191",
    "198", "199",
)
# Reserved example domains (RFC 2606), so demo e-mail can never reach a real person.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")


class Store(NamedTuple):
    code: str
    name: str
    district_code: str
    weight: float  # share of the customers


class Region(NamedTuple):
    code: str
    name: str
    stores: tuple[Store, ...]


GROUP_CODE = "GRP"
GROUP_NAME = "客户集团"
REGIONS: tuple[Region, ...] = (
    Region("EAST", "华东大区", (
        Store("SH01", "上海南京路店", "310101", 0.22), Store("SH02", "上海徐家汇店", "310104", 0.18),
    )),
    Region("NORTH", "华北大区", (
        Store("BJ01", "北京国贸店", "110105", 0.18), Store("BJ02", "北京中关村店", "110108", 0.14),
    )),
    Region("SOUTH", "华南大区", (
        Store("SZ01", "深圳南山店", "440305", 0.16), Store("GZ01", "广州天河店", "440106", 0.12),
    )),
)


class StaffMember(NamedTuple):
    username: str
    display_name: str
    role: str
    branch_code: str  # "" for no branch (global roles)


def demo_staff() -> list[StaffMember]:
    """Staff for every role: global administrator and auditor, head-office functions, region and store staff."""
    staff = [
        StaffMember("admin", "系统管理员", "administrator", GROUP_CODE),
        StaffMember("auditor", "审计员 韩雪", "auditor", ""),
        StaffMember("agent", "客服专员 周敏", "service_agent", GROUP_CODE),
        StaffMember("marketer", "市场专员 林晓", "marketer", GROUP_CODE),
        StaffMember("credit", "信贷专员 郭峰", "credit_officer", GROUP_CODE),
        StaffMember("manager_east", "华东区经理 陈建华", "branch_manager", "EAST"),
        StaffMember("manager_north", "华北区经理 赵立新", "branch_manager", "NORTH"),
        StaffMember("manager_south", "华南区经理 黄志强", "branch_manager", "SOUTH"),
    ]
    account_managers = {
        "SH01": ("王丽", "徐明"), "SH02": ("李娜", "沈浩"), "BJ01": ("张伟", "刘洋"),
        "BJ02": ("杨帆", "孙静"), "SZ01": ("吴涛", "郑婷"), "GZ01": ("梁佳", "何俊"),
    }
    for region in REGIONS:
        for store in region.stores:
            first, second = account_managers[store.code]
            staff.append(StaffMember(f"am_{store.code.lower()}", f"客户经理 {first}", "account_manager", store.code))
            staff.append(StaffMember(f"am_{store.code.lower()}_2", f"客户经理 {second}", "account_manager",
                                     store.code))
    return staff


# One login per role, shown by ``kehu demo``.
DEMO_LOGINS = (
    ("administrator", "admin"), ("branch_manager", "manager_east"), ("account_manager", "am_sh01"),
    ("service_agent", "agent"), ("marketer", "marketer"), ("credit_officer", "credit"), ("auditor", "auditor"),
)
DEMO_PASSWORD = "kehu-demo"

TAGS: tuple[tuple[str, str], ...] = (
    ("VIP", "#b45309"), ("理财偏好", "#1d4ed8"), ("新客", "#15803d"), ("企业客户", "#6d28d9"),
    ("生日月", "#db2777"), ("价格敏感", "#64748b"),
)


class ProductRow(NamedTuple):
    sku: str
    name: str
    category: str
    list_price: Decimal
    popularity: float
    margin_low: float  # gross margin as a share of the amount
    margin_high: float
    bulk: bool  # organisations buy it by the dozen (gifts, supplies)


CATEGORIES: tuple[tuple[str, str], ...] = (
    # (category, parent); parents first
    ("金融服务", ""), ("零售商品", ""), ("会员与服务", ""),
    ("保险", "金融服务"), ("贵金属", "金融服务"), ("理财服务", "金融服务"),
    ("数码家电", "零售商品"), ("食品礼盒", "零售商品"), ("美妆个护", "零售商品"), ("服饰箱包", "零售商品"),
    ("家居生活", "零售商品"), ("会员权益", "会员与服务"), ("生活服务", "会员与服务"),
)


def _product(sku: str, name: str, category: str, price: str, popularity: float, low: float, high: float,
             bulk: bool = False) -> ProductRow:
    return ProductRow(sku, name, category, Decimal(price), popularity, low, high, bulk)


PRODUCTS: tuple[ProductRow, ...] = (
    _product("INS-001", "百万医疗险（年缴）", "保险", "698.00", 3, 0.25, 0.40),
    _product("INS-002", "重大疾病保险（年缴）", "保险", "8600.00", 1, 0.20, 0.35),
    _product("INS-003", "综合意外险", "保险", "299.00", 3, 0.30, 0.40),
    _product("INS-004", "家庭财产保险", "保险", "480.00", 2, 0.25, 0.40),
    _product("GLD-001", "投资金条 20克", "贵金属", "12800.00", 1, 0.10, 0.14),
    _product("GLD-002", "生肖纪念金币", "贵金属", "3980.00", 1, 0.12, 0.18),
    _product("GLD-003", "足金吊坠", "贵金属", "2680.00", 1.5, 0.15, 0.25),
    _product("WMS-001", "家庭财富规划咨询", "理财服务", "1800.00", 1, 0.30, 0.40),
    _product("WMS-002", "基金定投顾问服务（年）", "理财服务", "980.00", 1.5, 0.30, 0.40),
    _product("DIG-001", "智能手机 256GB", "数码家电", "5999.00", 2, 0.10, 0.15),
    _product("DIG-002", "轻薄笔记本电脑", "数码家电", "7499.00", 1, 0.10, 0.15),
    _product("DIG-003", "平板电脑 11英寸", "数码家电", "3299.00", 1.5, 0.10, 0.16, True),
    _product("DIG-004", "降噪蓝牙耳机", "数码家电", "999.00", 3, 0.15, 0.25, True),
    _product("DIG-005", "扫地机器人", "数码家电", "2499.00", 1.5, 0.15, 0.22),
    _product("DIG-006", "空气净化器", "数码家电", "1999.00", 1.5, 0.15, 0.22, True),
    _product("DIG-007", "全自动咖啡机", "数码家电", "1599.00", 1, 0.15, 0.25, True),
    _product("FOD-001", "精品茶叶礼盒", "食品礼盒", "688.00", 4, 0.25, 0.40, True),
    _product("FOD-002", "中秋月饼礼盒", "食品礼盒", "298.00", 4, 0.25, 0.40, True),
    _product("FOD-003", "进口红酒双支装", "食品礼盒", "398.00", 3, 0.25, 0.40, True),
    _product("FOD-004", "五常有机大米 10kg", "食品礼盒", "128.00", 6, 0.15, 0.25, True),
    _product("FOD-005", "坚果大礼包", "食品礼盒", "168.00", 6, 0.20, 0.35, True),
    _product("FOD-006", "春节年货礼盒", "食品礼盒", "458.00", 3, 0.25, 0.40, True),
    _product("BTY-001", "焕颜护肤套装", "美妆个护", "899.00", 3, 0.30, 0.40),
    _product("BTY-002", "经典香水 50ml", "美妆个护", "780.00", 2, 0.30, 0.40),
    _product("BTY-003", "补水面膜（10片）", "美妆个护", "199.00", 6, 0.30, 0.40),
    _product("BTY-004", "电动牙刷", "美妆个护", "399.00", 3, 0.20, 0.30, True),
    _product("FSH-001", "羊绒大衣", "服饰箱包", "2999.00", 1.5, 0.30, 0.40),
    _product("FSH-002", "真丝围巾", "服饰箱包", "599.00", 3, 0.30, 0.40, True),
    _product("FSH-003", "真皮手袋", "服饰箱包", "3999.00", 1, 0.30, 0.40),
    _product("FSH-004", "专业跑步鞋", "服饰箱包", "899.00", 3, 0.25, 0.35),
    _product("HOM-001", "纯棉床品四件套", "家居生活", "699.00", 3, 0.25, 0.40),
    _product("HOM-002", "不粘锅套装", "家居生活", "459.00", 3, 0.20, 0.35),
    _product("HOM-003", "真空保温杯", "家居生活", "199.00", 6, 0.25, 0.40, True),
    _product("HOM-004", "智能按摩椅", "家居生活", "12999.00", 0.5, 0.15, 0.25),
    _product("MBR-001", "年度会员", "会员权益", "299.00", 4, 0.35, 0.40),
    _product("MBR-002", "黑金会员（年）", "会员权益", "2999.00", 1, 0.35, 0.40),
    _product("SRV-001", "家政保洁服务套餐", "生活服务", "1200.00", 2, 0.20, 0.30),
    _product("SRV-002", "数码延保服务", "生活服务", "399.00", 3, 0.30, 0.40),
    _product("SRV-003", "高端体检套餐", "生活服务", "3680.00", 1, 0.20, 0.30, True),
    _product("SRV-004", "旅行预订服务费", "生活服务", "150.00", 3, 0.30, 0.40),
)

# Organisation names: city + trade name (字号) + industry wording + legal form.
_TRADE_NAME_PAIRS = (
    "恒达华信瑞丰鼎盛金桥宏远新锐博雅天成德润汇通永泰佳禾安信盛世"
    "联创卓越正和启明海纳君悦鑫源嘉禾锦程万象明达福瑞优品云帆星河"
    "青松和煦立信润泽长青弘毅泰和宝丰顺通昌盛康达易达智远睿思仁和"
    "同德合众信诚金鼎凯旋远航晨光蓝海华美绿源凌云东升百川聚福天域"
)
TRADE_NAMES = tuple(_TRADE_NAME_PAIRS[i : i + 2] for i in range(0, len(_TRADE_NAME_PAIRS), 2))


class Industry(NamedTuple):
    wording: str  # as in the company name
    industry: str
    main_business: str
    ownership_weights: tuple[float, ...]  # state, collective, private, foreign, joint


INDUSTRIES: tuple[Industry, ...] = (
    Industry("信息科技", "信息传输、软件和信息技术服务业", "软件开发、信息系统集成与技术服务", (1, 0, 12, 2, 1)),
    Industry("商贸", "批发和零售业", "日用百货、五金交电批发零售", (1, 1, 14, 1, 1)),
    Industry("餐饮管理", "住宿和餐饮业", "餐饮服务、餐饮企业管理", (0, 1, 14, 1, 1)),
    Industry("建筑工程", "建筑业", "房屋建筑施工、建筑装饰装修工程", (3, 1, 10, 0, 1)),
    Industry("物流", "交通运输、仓储和邮政业", "普通货物道路运输、仓储服务", (2, 0, 12, 1, 1)),
    Industry("医药", "批发和零售业", "药品及医疗器械批发", (2, 0, 10, 2, 2)),
    Industry("食品", "制造业", "食品加工、预包装食品销售", (1, 1, 12, 1, 1)),
    Industry("电子", "制造业", "电子元器件研发、生产与销售", (1, 0, 10, 3, 2)),
    Industry("文化传媒", "文化、体育和娱乐业", "广告设计制作、文化活动策划", (1, 0, 14, 0, 1)),
    Industry("企业管理咨询", "租赁和商务服务业", "企业管理咨询、人力资源服务", (0, 0, 14, 2, 1)),
    Industry("教育科技", "教育", "教育软件开发、职业技能培训", (0, 0, 12, 1, 1)),
    Industry("环保科技", "水利、环境和公共设施管理业", "环保设备销售、污水处理工程", (2, 0, 10, 1, 1)),
    Industry("置业", "房地产业", "房地产开发经营、物业管理", (3, 0, 9, 1, 2)),
    Industry("机械设备", "制造业", "通用机械设备制造与维修", (2, 1, 10, 2, 2)),
)
OWNERSHIP_TYPES = ("state", "collective", "private", "foreign", "joint")
LEGAL_FORMS = (("有限公司", 8), ("股份有限公司", 1), ("有限责任公司", 1))

CONTACT_ROLES = (
    ("legal_rep", "法定代表人"), ("general_manager", "总经理"), ("finance", "财务经理"), ("purchasing", "采购主管"),
)

POSITIONS = ("工程师", "教师", "医生", "销售经理", "公务员", "会计", "设计师", "律师", "个体经营", "自由职业",
             "项目经理", "护士", "程序员", "部门主管", "退休")
HOUSEHOLDS = ("未婚", "已婚，育有一子", "已婚，育有一女", "已婚，二孩家庭", "三代同堂", "已婚，暂无子女", "独居")
PREFERENCES = (
    "偏好线下门店体验，关注新品上市", "习惯手机App下单，对优惠活动敏感", "重视服务品质，喜欢一对一专属服务",
    "关注健康养生类产品", "偏好节假日集中采购", "对理财和保险产品兴趣较高", "喜欢数码产品，常参加新品发布活动",
    "注重性价比，常比价后购买", "",
)
# reasons and purposes the system writes are stored as their English message and shown in the reader's language
# (``kehu_ui.stored_text``); the rest of the demo data is what Chinese users would type
REASON_CREATED = gettext_noop("New customer record")
REASON_FIRST_PURCHASE = gettext_noop("First purchase")
LOST_REASONS = (gettext_noop("No purchase for over six months"), gettext_noop("Went to a competitor"),
                gettext_noop("Moved out of the service area"), gettext_noop("Dissatisfied with the service"))
STAGE_REASONS = (gettext_noop("Buys more often"), gettext_noop("Regular care by the account manager"),
                 gettext_noop("Yearly tier review"), gettext_noop("Spending fell"),
                 gettext_noop("No contact for a long time"))
# status record choices (customers.StatusRecord.Channel, Frequency, Potential)
PREFERRED_CHANNELS = ("wechat", "phone", "sms", "visit", "email")
CONTACT_FREQUENCIES = ("weekly", "monthly", "quarterly", "on_demand")
HOLDINGS_WITH_US = ("年度会员、保险产品", "黑金会员、理财服务", "数码产品延保", "会员积分、礼品卡", "定期采购协议")
HOLDINGS_WITH_COMPETITORS = ("其他商超会员卡", "其他银行理财产品", "电商平台会员", "无", "竞争门店储值卡")
DEVELOPMENT_POTENTIAL = ("high", "medium", "low", "high")
OTHER_BANKS_SUPPLIERS = ("工商银行、招商银行", "建设银行", "本地商超供应商", "", "中国银行、京东企业购")
CONSENT_PURPOSES = (gettext_noop("Marketing promotions"), gettext_noop("New products and events"),
                    gettext_noop("Bills and service reminders"))
