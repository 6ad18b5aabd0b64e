"""Random draws for the demo plan: names, mobiles, landlines, resident ID numbers and credit codes (valid by
construction: check digits and characters computed), places and addresses, keeping what must be unique unique.
Pure Python: no database."""


from __future__ import annotations

import datetime as dt
import itertools
import random
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from stdnum.cn import uscc

from kehu.core.validators import normalize_phone, resident_id_check_digit

from . import data

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Cities whose local numbers have 7 digits; elsewhere 8.
_SEVEN_DIGIT_AREAS = {"0592", "0771"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def opening_time(day: dt.date, rng: random.Random, first_hour: int = 9, last_hour: int = 21) -> dt.datetime:
    """A time of day within opening hours on ``day``, China time."""
    return dt.datetime(day.year, day.month, day.day, rng.randint(first_hour, last_hour - 1), rng.randrange(60),
                       rng.randrange(60), tzinfo=SHANGHAI)


def day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def organisation_code_check(body: str) -> str:
    """The check character of a 9-character organisation code (GB 11714), computed over its first 8 characters."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORGANISATION_CODE_WEIGHTS,
                                                                           strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


class Drawer:
    """Random draws of names, numbers and places, keeping what must be unique unique."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = [s for s, _w in data.SURNAMES]
        self.surname_weights = list(itertools.accumulate(w for _s, w in data.SURNAMES))
        self.districts = {d.code: d for d in data.DISTRICTS}
        self.cities: dict[str, list[data.District]] = {}
        for district in data.DISTRICTS:
            self.cities.setdefault(district.city, []).append(district)
        self.mobiles: set[str] = set()
        self.id_numbers: set[str] = set()
        self.credit_codes: set[str] = set()
        self.organisation_names: set[str] = set()

    def person_name(self, *, male: bool) -> str:
        rng = self.rng
        surname = rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        own = data.MALE_CHARACTERS if male else data.FEMALE_CHARACTERS
        if len(surname) == 1 and rng.random() < 0.25:
            return surname + rng.choice(own)
        return surname + rng.choice(own + data.SHARED_CHARACTERS) + rng.choice(own)

    def mobile(self) -> str:
        while True:
            number = f"+86{self.rng.choice(data.MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def landline(self, district: data.District) -> str:
        digits = 7 if district.area_code in _SEVEN_DIGIT_AREAS else 8
        for _attempt in range(50):
            local = str(self.rng.randint(2, 8)) + f"{self.rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
            try:
                return normalize_phone(district.area_code + local)
            except ValidationError:
                continue
        raise RuntimeError(f"no valid landline found for area code {district.area_code}")

    def resident_id(self, *, region_code: str, birth_date: dt.date, male: bool) -> str:
        while True:
            sequence = self.rng.randrange(500) * 2 + (1 if male else 0)
            first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
            number = first17 + resident_id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def credit_code(self, *, district_code: str, founded: dt.date) -> str:
        """A unified social credit code: 9 (registered by market regulation) 1 (company), region, organisation code."""
        while True:
            if founded.year >= 2016:
                body = "MA" + "".join(self.rng.choice(_USCC_ALPHABET) for _ in range(6))
            else:
                body = f"{self.rng.randrange(10**8):08d}"
            first17 = f"91{district_code}{body}{organisation_code_check(body)}"
            code = first17 + uscc.calc_check_digit(first17)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def home_district(self, store: data.Store) -> data.District:
        """Most customers live in their store's city, the rest anywhere."""
        store_city = self.districts[store.district_code].city
        if self.rng.random() < 0.72:
            return self.rng.choice(self.cities[store_city])
        return self.rng.choice(data.DISTRICTS)

    def address(self, district: data.District, *, office: bool) -> str:
        rng = self.rng
        street = f"{rng.choice(district.streets)}{rng.randint(1, 999)}号"
        if office:
            return f"{street}{rng.choice(data.OFFICE_BUILDINGS)}{rng.randint(2, 38)}层"
        if rng.random() < 0.7:
            return f"{street}{rng.choice(data.RESIDENTIAL_COMPOUNDS)}{rng.randint(1, 30)}栋{rng.randint(1, 32)}" \
                   f"{rng.randint(1, 4):02d}室"
        return street

    def email(self, pinyin: str) -> str:
        suffix = str(self.rng.randint(1, 9999)) if self.rng.random() < 0.7 else ""
        return f"{pinyin}{suffix}@{self.rng.choice(data.EMAIL_DOMAINS)}"

    def organisation_name(self, district: data.District, industry: data.Industry) -> str:
        city = district.city.removesuffix("市")
        while True:
            form = self.rng.choices([f for f, _w in data.LEGAL_FORMS], weights=[w for _f, w in data.LEGAL_FORMS])[0]
            name = f"{city}{self.rng.choice(data.TRADE_NAMES)}{industry.wording}{form}"
            if name not in self.organisation_names:
                self.organisation_names.add(name)
                return name


def name_pinyin(name: str, *, is_person: bool = True) -> str:
    from kehu.core.pinyin import name_search_keys

    return name_search_keys(name, is_person=is_person)[0]
