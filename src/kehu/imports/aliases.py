"""Column headers and cell values users write in Chinese and English, recognised by the automatic column mapping.

These are data (what appears in users' files), not interface text, so they are not translated. The first alias of a
field is the Chinese header Kehu writes in exports, so an exported file imports back as it is. Headers are compared
after :func:`kehu.imports.fields.normalise_header` (lower case, no spaces, no ``*`` or bracketed remarks).
"""

from __future__ import annotations

CUSTOMER_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("客户编号", "客户代码", "客户号", "会员号", "会员编号", "编号", "code", "customer code", "customer no",
             "customer number"),
    "kind": ("客户类型", "客户类别", "类型", "kind", "customer type"),
    "name": ("客户名称", "姓名", "名称", "客户姓名", "单位名称", "企业名称", "公司名称", "客户全称", "name",
             "customer name",
             "full name", "account name", "company name", "company", "account"),
    "mobile": ("手机号码", "手机", "手机号", "移动电话", "联系手机", "mobile", "mobile phone", "mobile number", "cell",
               "cellphone", "mobile phone number"),
    "phone": ("其他电话", "电话", "固定电话", "座机", "联系电话", "办公电话", "联系方式", "电话号码", "联系号码",
              "phone", "telephone", "landline", "tel", "other phone", "phone number", "business phone"),
    "email": ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail", "mail", "email address"),
    "province": ("省份", "省", "所在省份", "省/直辖市", "province", "state", "state/province", "state/region",
                 "billing state/province", "billing state", "mailing state"),
    "city": ("城市", "市", "所在城市", "city", "billing city", "mailing city"),
    "district": ("区县", "区", "县区", "district", "county"),
    "address": ("详细地址", "地址", "联系地址", "通讯地址", "客户地址", "公司地址", "办公地址", "address",
                "street address",
                "billing street", "billing address", "mailing street", "street"),
    "branch": ("所属门店", "门店", "网点", "所属网点", "归属门店", "分支机构", "机构", "门店编码", "门店编号", "branch",
               "store", "home branch", "branch code"),
    "owner": ("客户经理", "所属客户经理", "归属客户经理", "负责人", "客户负责人", "销售负责人", "跟进人", "归属人",
              "所属员工",
              "owner", "account manager", "manager", "account owner", "company owner", "contact owner",
              "record owner", "owner name", "assigned to", "sales rep"),
    "lifecycle_status": ("生命周期状态", "客户状态", "状态", "成交状态", "是否成交", "deal status", "lifecycle status",
                         "status", "customer status", "account type", "type"),
    "lifecycle_stage": ("生命周期阶段", "阶段", "lifecycle stage", "stage"),
    "management_class": ("管理类别", "客户管理类别", "客户级别", "客户等级", "级别", "等级", "客户分级", "客户分类",
                         "management class", "customer level", "level", "customer rating", "rating", "tier",
                         "customer tier", "priority"),
    "source": ("客户来源", "来源", "线索来源", "获客渠道", "来源渠道", "source", "customer source", "lead source",
               "account source", "original source", "original source type"),
    "customer_since": ("创建时间", "创建日期", "客户创建时间", "录入时间", "录入日期", "建档日期", "建档时间",
                       "成为客户日期",
                       "customer since", "created time", "created date", "create date", "created at", "created on",
                       "creation date", "date created"),
    "marketing_type": ("营销类型", "marketing type"),
    "brand_attitude": ("品牌态度", "brand attitude"),
    "share_of_wallet": ("钱包份额", "钱包份额(%)", "份额", "share of wallet"),
    "relationship_stage": ("关系阶段", "合作阶段", "relationship stage"),
    "tags": ("标签", "tags", "tag"),
    "notes": ("备注", "说明", "客户描述", "描述", "notes", "note", "remarks", "remark", "description"),
    "gender": ("性别", "gender", "sex"),
    "birth_date": ("出生日期", "生日", "出生年月日", "birth date", "birthday", "date of birth", "dob"),
    "id_type": ("证件类型", "id type", "document type"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "身份证", "证件号", "id number", "id no", "id card",
                  "resident id"),
    "employer": ("工作单位", "employer"),
    "position": ("职务", "职位", "position", "job title", "title"),
    "income_band": ("收入水平", "月收入", "收入", "income band", "income"),
    "household": ("家庭情况", "家庭", "household", "family"),
    "education": ("学历", "教育程度", "education"),
    "preferences": ("性格与偏好", "偏好", "爱好", "preferences", "personality and preferences"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "credit code", "unified social credit code",
                    "uscc"),
    "ownership_type": ("所有制类型", "所有制", "企业性质", "ownership type", "ownership"),
    "industry": ("行业", "所属行业", "客户行业", "行业类别", "行业分类", "industry"),
    "main_business": ("主营业务", "经营范围", "main business"),
    "staff_count": ("员工人数", "人数", "职工人数", "staff count", "employees"),
    "annual_revenue": ("年营业额", "营业收入", "年销售额", "annual revenue", "revenue"),
    "legal_representative": ("法定代表人", "法人", "法人代表", "legal representative"),
    "founded_on": ("成立日期", "成立时间", "注册日期", "founded on", "founded", "founding date"),
    "other_banks_suppliers": ("其他合作银行及供应商", "其他合作银行", "合作银行", "other banks and suppliers",
                              "other banks suppliers"),
    "business_status": ("经营状态", "登记状态", "business status"),
}

TRANSACTION_HEADERS: dict[str, tuple[str, ...]] = {
    "customer_code": ("客户编号", "客户代码", "客户号", "会员号", "会员编号", "customer code", "customer", "code"),
    "customer_mobile": ("手机号码", "手机", "手机号", "会员手机", "customer mobile", "mobile"),
    "occurred_at": ("交易时间", "消费时间", "交易日期", "消费日期", "日期", "时间", "time", "date", "occurred at",
                    "purchase date"),
    "amount": ("金额", "交易金额", "消费金额", "实付金额", "amount", "total"),
    "margin": ("毛利", "毛利额", "gross margin", "margin"),
    "quantity": ("数量", "quantity", "qty"),
    "product": ("商品编码", "商品", "商品名称", "产品", "产品编码", "sku", "product"),
    "branch": ("门店", "交易门店", "网点", "门店编码", "branch", "store"),
    "channel": ("渠道", "交易渠道", "channel"),
    "external_ref": ("流水号", "订单号", "交易流水号", "单号", "order no", "order number", "order", "external ref",
                     "reference", "ref"),
}

CONTACT_HEADERS: dict[str, tuple[str, ...]] = {
    "customer_code": ("客户编号", "客户代码", "客户号", "customer code", "customer"),
    "customer_credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "credit code"),
    "name": ("联系人", "联系人姓名", "姓名", "name", "contact", "contact name"),
    "role": ("角色", "联系人角色", "role"),
    "title": ("职务", "职位", "title", "position"),
    "mobile": ("手机号码", "手机", "手机号", "mobile"),
    "phone": ("电话", "固定电话", "座机", "办公电话", "phone", "telephone"),
    "email": ("电子邮箱", "邮箱", "email", "e-mail"),
    "is_primary": ("主要联系人", "是否主要联系人", "primary", "primary contact"),
    "notes": ("备注", "notes", "remarks"),
}

# Headers of a customer's number that do not say mobile or landline: the other phone, but the mobile when the import
# is keyed by mobile and the file has no mobile column (bank exports often have only 联系电话).
GENERIC_PHONE_HEADERS = ("联系电话", "电话", "联系方式", "电话号码", "联系号码", "phone", "telephone", "tel",
                         "phone number", "business phone")

# Columns of an error report that are not data: ignored when a report is imported again.
REPORT_HEADERS = ("行号", "行", "错误原因", "row", "error", "errors", "错误")

# Cell values, per choice field: extra spellings (the stored value and the English and Chinese labels are
# recognised anyway).
CHOICE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "kind": {
        "person": ("个人", "个人客户", "自然人", "p", "individual", "personal"),
        "organisation": ("单位", "单位客户", "企业", "企业客户", "公司", "机构", "组织", "o", "organization", "company",
                         "corporate"),
    },
    "gender": {"male": ("男", "m", "男性", "先生"), "female": ("女", "f", "女性", "女士")},
    "id_type": {
        "resident_id": ("身份证", "居民身份证", "二代身份证", "id card"),
        "passport": ("护照",),
        "hk_macao": ("港澳居民来往内地通行证", "回乡证", "港澳通行证"),
        "taiwan": ("台湾居民来往大陆通行证", "台胞证"),
        "foreign_permanent": ("外国人永久居留身份证", "外国人永久居留证"),
        "other": ("其他",),
    },
    "income_band": {
        "lt5k": ("5000以下", "5千以下", "<5000"),
        "5k_10k": ("5000-10000", "5千-1万"),
        "10k_20k": ("10000-20000", "1万-2万"),
        "20k_50k": ("20000-50000", "2万-5万"),
        "gt50k": ("50000以上", "5万以上", ">50000"),
    },
    "education": {
        "secondary": ("初中", "高中", "中专", "中学", "初中及以下", "高中及以下"),
        "college": ("大专", "专科"),
        "bachelor": ("本科", "学士"),
        "master": ("硕士", "研究生"),
        "doctorate": ("博士",),
    },
    "lifecycle_status": {
        # deal statuses and account types of other CRMs: not yet a customer / a customer / no longer one
        "prospect": ("潜在", "潜在客户", "预期客户", "预期", "未成交", "意向客户", "跟进中", "洽谈中", "初次接触",
                     "有意向",
                     "lead", "subscriber", "marketing qualified lead", "marketingqualifiedlead", "sales qualified lead",
                     "salesqualifiedlead", "opportunity", "open", "not contacted", "contacted", "qualified"),
        "current": ("现有", "现有客户", "正常", "已成交", "成交", "成交客户", "已签约", "签约", "合作中", "已合作",
                    "是",
                    "customer", "customer - direct", "customer - channel", "evangelist", "closed won", "won",
                    "active"),
        "lost": ("流失", "流失客户", "已流失", "丢单", "输单", "失败", "former customer", "closed lost",
                 "lost customer",
                 "inactive", "churned"),
    },
    "lifecycle_stage": {
        "identification": ("识别期",), "cultivation": ("培养期",), "growth": ("成长期",), "stable": ("稳定期",),
        "decline": ("衰退期",), "elimination": ("淘汰期",),
    },
    "management_class": {
        # customer levels of other CRMs (A/B/C, 重点/普通, hot/warm/cold): a first guess the user confirms
        "key": ("关键客户", "关键", "重点客户", "重点", "重要客户", "重要", "大客户", "vip", "vip客户", "a", "a类",
                "a级",
                "a类客户", "a级客户", "★★★", "hot", "strategic", "key account"),
        "potential": ("潜力客户", "潜力", "潜在", "b", "b类", "b级", "b类客户", "b级客户", "★★", "warm",
                      "high potential"),
        "regular": ("常规客户", "常规", "普通客户", "普通", "一般客户", "一般", "c", "c类", "c级", "c类客户",
                    "c级客户", "★",
                    "cold", "normal", "standard"),
        "temporary": ("临时客户", "临时", "d", "d类", "d级", "d类客户", "d级客户", "一次性客户", "低价值"),
    },
    "marketing_type": {
        "economic": ("经济型",), "ethical": ("道德型",), "personalised": ("个性化", "个性化型"),
        "convenience": ("方便型",),
    },
    "brand_attitude": {"loyal": ("忠诚",), "switching": ("品牌转移",), "none": ("无品牌忠诚",)},
    "relationship_stage": {
        "development": ("开发", "开发期"), "early": ("初期合作",), "stable": ("稳定合作",), "strategic": ("战略合作",),
    },
    "ownership_type": {
        "state": ("国有", "国有企业", "国企"), "collective": ("集体", "集体企业"),
        "private": ("私营", "民营", "私营企业", "民营企业"), "foreign": ("外资", "外商投资", "外资企业"),
        "joint": ("合资", "合资企业"), "institution": ("事业单位",), "other": ("其他",),
    },
    "business_status": {
        "operating": ("存续", "在业", "经营", "营业", "正常经营", "开业"), "suspended": ("停业", "歇业"),
        "revoked": ("吊销",), "deregistered": ("注销",),
    },
    "channel": {
        "store": ("门店", "线下", "店内"), "online": ("线上", "网店", "网上商城", "电商"), "phone": ("电话",),
        "app": ("手机app", "app", "小程序"), "manager": ("客户经理",), "other": ("其他",),
    },
    "role": {
        "legal_rep": ("法人", "法定代表人", "法人代表"), "general_manager": ("总经理",), "finance": ("财务",),
        "purchasing": ("采购",), "technical": ("技术",), "other": ("其他",),
    },
}

# A customer name that names an organisation: legal forms and kinds of institutions, Chinese and English.
ORGANISATION_NAME_PATTERN = (
    r"(有限责任公司|股份有限公司|有限公司|分公司|公司|集团|企业|工作室|事务所|研究院|研究所|设计院|合作社|商行|商店|超市|酒店|"
    r"医院|诊所|学校|学院|大学|幼儿园|银行|分行|支行|基金会|协会|商会|中心|工厂|委员会|办事处|个体工商户)$|"
    r"^\w{3,}(厂|店|部|局|馆|行)$|"
    r"有限公司|集团|"
    r"(?i:\b(co\.?,?\s*ltd|ltd|limited|inc|incorporated|llc|l\.l\.c|corp|corporation|company|gmbh|ag|s\.a|plc|"
    r"pte|pty|group|holdings|llp|bank|university|foundation|association)\b\.?\s*$)"
)

TRUE_WORDS = ("是", "y", "yes", "true", "1", "√", "主要")
FALSE_WORDS = ("否", "n", "no", "false", "0", "")
