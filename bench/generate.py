"""Deterministic workload generator: N customers and M transactions with realistic Chinese data and skewed value.

Reuses the demo's tables (surnames by frequency, given-name characters, real districts with their division codes,
mobile prefixes, trade names, industries) from :mod:`kehu.demo.data`; numbers are valid by construction (resident ID
check digits, credit-code check characters, mobiles of real prefixes). Every value is a pure function of the seed and
the row index, so the same call gives the same file, and customer ``i`` has the same code, mobile and ID number in
every file generated with the same seed: transaction files refer to customers of the customer file.

Uniqueness without memory: code ``BK{i:08d}``; mobile = prefix + an affine permutation of ``i`` over 10⁸; ID
numbers and credit codes derive their serial part from ``i``.

Spending skew: a customer's activity weight is Pareto distributed (shape 1.16, the "80/20" shape), so a few
customers make most purchases; amounts are log-normal.

Usage:  python bench/generate.py customers OUT.csv -n 100000 [--encoding gb18030] [--bad-rate 0.01]
        python bench/generate.py customers OUT.xlsx -n 100000
        python bench/generate.py transactions OUT.csv -n 100000 -m 1000000
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import math
import random
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kehu.core.validators import resident_id_check_digit  # noqa: E402
from kehu.demo import data  # noqa: E402

DEFAULT_SEED = 20250101
BENCH_BRANCHES = (
    ("BSH1", "上海测试一店"), ("BSH2", "上海测试二店"), ("BBJ1", "北京测试一店"), ("BGZ1", "广州测试一店"),
)
CUSTOMER_HEADERS = ["客户编号", "客户类型", "客户名称", "手机号码", "其他电话", "身份证号", "统一社会信用代码", "性别",
                    "出生日期", "电子邮箱", "省份", "城市", "区县", "详细地址", "所属门店", "管理类别", "标签", "行业"]
TRANSACTION_HEADERS = ["流水号", "客户编号", "交易时间", "金额", "毛利", "数量", "渠道"]
ORGANISATION_SHARE = 0.15
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SURNAMES = [surname for surname, _weight in data.SURNAMES]
_SURNAME_CUMULATIVE = list(itertools.accumulate(weight for _surname, weight in data.SURNAMES))
_TAGS = ("VIP", "老客户", "团购", "线上活跃", "生日当月", "高潜力")
_CLASSES = ("关键客户", "潜力客户", "常规客户", "常规客户", "常规客户", "临时客户")
_EPOCH = dt.date(1950, 1, 1)


def _rng(seed: int, index: int, salt: int = 0) -> random.Random:
    return random.Random(seed * 1_000_003 + index * 7 + salt)


def mobile_of(index: int, seed: int = DEFAULT_SEED) -> str:
    """The mobile of customer ``index``: unique for the first 10⁸ × 34 indexes."""
    prefix = data.MOBILE_PREFIXES[(index + seed) % len(data.MOBILE_PREFIXES)]
    serial = (index // len(data.MOBILE_PREFIXES) * 48_271 + seed) % 100_000_000
    return f"{prefix}{serial:08d}"


def code_of(index: int) -> str:
    return f"BK{index:08d}"


def _resident_id(rng: random.Random, district: data.District, index: int, male: bool) -> tuple[str, dt.date]:
    born = _EPOCH + dt.timedelta(days=rng.randrange(365 * 55))
    sequence = (index % 500) * 2 + (1 if male else 0)
    first17 = f"{district.code}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_digit(first17), born


def _credit_code(rng: random.Random, district: data.District) -> str:
    from stdnum.cn import uscc

    from kehu.demo.drawing import organisation_code_check  # needs Django set up (it imports models)

    body = "MA" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(6))
    first17 = f"91{district.code}{body}{organisation_code_check(body)}"
    return first17 + uscc.calc_check_digit(first17)


def customer_row(index: int, seed: int = DEFAULT_SEED, branches: tuple[str, ...] | None = None) -> list[str]:
    """Customer ``index`` as a row under :data:`CUSTOMER_HEADERS`."""
    rng = _rng(seed, index)
    branch_codes = branches or tuple(code for code, _name in BENCH_BRANCHES)
    district = data.DISTRICTS[rng.randrange(len(data.DISTRICTS))]
    street = f"{rng.choice(district.streets)}{rng.randint(1, 999)}号"
    tags = "、".join(sorted(rng.sample(_TAGS, rng.choice((0, 0, 0, 1, 1, 2)))))
    branch = branch_codes[index % len(branch_codes)]
    management_class = _CLASSES[rng.randrange(len(_CLASSES))]
    if rng.random() < ORGANISATION_SHARE:
        industry = data.INDUSTRIES[rng.randrange(len(data.INDUSTRIES))]
        trade = data.TRADE_NAMES[rng.randrange(len(data.TRADE_NAMES))]
        name = f"{district.city.removesuffix('市')}{trade}{industry.wording}有限公司{index % 997}"
        phone = f"{district.area_code}-{rng.randint(2, 8)}{rng.randrange(10**6, 10**7)}" if district.area_code in {
            "010", "021", "022", "020", "023", "025", "027", "028", "029", "0755"} else ""
        return [code_of(index), "单位", name, mobile_of(index, seed), phone, "", _credit_code(rng, district), "", "",
                f"info{index}@example.com", district.province, district.city, district.district,
                f"{street}{rng.choice(data.OFFICE_BUILDINGS)}{rng.randint(2, 38)}层", branch, management_class, tags,
                industry.industry]
    male = rng.random() < 0.5
    surname = _SURNAMES[bisect.bisect(_SURNAME_CUMULATIVE, rng.random() * _SURNAME_CUMULATIVE[-1])]
    own = data.MALE_CHARACTERS if male else data.FEMALE_CHARACTERS
    given = rng.choice(own) if rng.random() < 0.25 else rng.choice(own + data.SHARED_CHARACTERS) + rng.choice(own)
    id_number, born = _resident_id(rng, district, index, male)
    email = f"user{index}@{data.EMAIL_DOMAINS[index % 3]}" if rng.random() < 0.6 else ""
    address = f"{street}{rng.choice(data.RESIDENTIAL_COMPOUNDS)}{rng.randint(1, 30)}栋{rng.randint(101, 3204)}室"
    return [code_of(index), "个人", surname + given, mobile_of(index, seed), "", id_number, "",
            "男" if male else "女", born.isoformat(), email, district.province, district.city, district.district,
            address, branch, management_class, tags, ""]


def _spoil(row: list[str], rng: random.Random) -> list[str]:
    """Make a row invalid in one of the ways real files are (for runs with ``--bad-rate``)."""
    row = list(row)
    kind = rng.randrange(4)
    if kind == 0 and row[5]:
        row[5] = row[5][:-1] + ("0" if row[5][-1] != "0" else "1")  # wrong check digit
    elif kind == 1:
        row[3] = row[3][:7]  # truncated mobile
    elif kind == 2:
        row[14] = "NOPE"  # unknown branch
    else:
        row[9] = "not-an-email"
    return row


def customer_rows(count: int, *, seed: int = DEFAULT_SEED, bad_rate: float = 0.0,
                  branches: tuple[str, ...] | None = None) -> Iterator[list[str]]:
    spoiler = random.Random(seed + 1)
    for index in range(count):
        row = customer_row(index, seed, branches)
        if bad_rate and spoiler.random() < bad_rate:
            row = _spoil(row, spoiler)
        yield row


def transaction_rows(customers: int, count: int, *, seed: int = DEFAULT_SEED) -> Iterator[list[str]]:
    """``count`` purchases of the first ``customers`` customers, Pareto-skewed, over 2024-2025 (China time)."""
    rng = random.Random(seed + 2)
    weights = list(itertools.accumulate(rng.paretovariate(1.16) for _ in range(customers)))
    total = weights[-1]
    start = dt.datetime(2024, 1, 1, 9, 0)
    channels = ("门店", "门店", "门店", "线上", "线上", "电话")
    for number in range(count):
        customer = bisect.bisect(weights, rng.random() * total)
        moment = start + dt.timedelta(days=rng.randrange(730), seconds=rng.randrange(12 * 3600))
        amount = round(math.exp(rng.gauss(5.0, 1.0)), 2)
        margin = round(amount * rng.uniform(0.1, 0.4), 2)
        yield [f"T{seed % 1000:03d}{number:010d}", code_of(customer), moment.strftime("%Y-%m-%d %H:%M:%S"),
               f"{amount:.2f}", f"{margin:.2f}", str(rng.choice((1, 1, 1, 2, 3))), rng.choice(channels)]


def write_csv(path: str | Path, headers: list[str], rows: Iterator[list[str]], *, encoding: str = "utf-8-sig") -> int:
    count = 0
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_xlsx(path: str | Path, headers: list[str], rows: Iterable[list[str]], *, numbers_as_numbers: bool = True
               ) -> int:
    """An XLSX file as Excel users make them: mobiles typed as numbers (so they come back as floats)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("客户")
    sheet.write_row(0, 0, headers)
    count = 0
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if numbers_as_numbers and column == 3 and value.isdigit():
                sheet.write_number(index, column, int(value))
            elif value:
                sheet.write_string(index, column, value)
        count += 1
    workbook.close()
    return count


def ensure_bench_branches() -> list[str]:
    """Create the bench branches (group BGRP with four stores) in the configured database when missing."""
    from kehu.org.models import Branch
    from kehu.org.services import branch_create

    group = Branch.objects.filter(code="BGRP").first() or branch_create(code="BGRP", name="测试集团", kind="group")
    for code, name in BENCH_BRANCHES:
        if not Branch.objects.filter(code=code).exists():
            branch_create(code=code, name=name, parent=group)
    return [code for code, _name in BENCH_BRANCHES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["customers", "transactions"])
    parser.add_argument("out")
    parser.add_argument("-n", "--customers", type=int, default=10_000)
    parser.add_argument("-m", "--transactions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--encoding", default="utf-8-sig")
    parser.add_argument("--bad-rate", type=float, default=0.0)
    options = parser.parse_args(argv)
    if options.what == "customers":
        rows = customer_rows(options.customers, seed=options.seed, bad_rate=options.bad_rate)
        if options.out.endswith(".xlsx"):
            count = write_xlsx(options.out, CUSTOMER_HEADERS, rows)
        else:
            count = write_csv(options.out, CUSTOMER_HEADERS, rows, encoding=options.encoding)
    else:
        count = write_csv(options.out, TRANSACTION_HEADERS,
                          transaction_rows(options.customers, options.transactions, seed=options.seed),
                          encoding=options.encoding)
    print(f"{count} rows written to {options.out}")
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    os.environ.setdefault("KEHU_DEBUG", "1")
    import django

    django.setup()
    sys.exit(main())
