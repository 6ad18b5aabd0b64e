"""The values a customer's record derives from its other values, computed in one place for every writer: the single
services (``customer_create``, ``customer_update``: the forms and the API), the bulk upsert
(:mod:`kehu.customers.upsert`: the import) and the models' ``clean``.

* the search keys: the name's full pinyin and initials, the last four digits of the mobile;
* the relationship stage, from the share of wallet;
* the birth date and gender a resident ID number encodes, when they are not given.

Pure functions of values (no database), cheap enough to run per row of a million-row import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu.core.pinyin import name_search_keys
from kehu.core.validators import national_digits

from .models.choices import CustomerKind, relationship_stage_for_share

RESIDENT_ID = "resident_id"  # PersonProfile.IdType.RESIDENT_ID (the models import this module)


def search_keys(name: str, kind: str) -> tuple[str, str]:
    """The stored pinyin keys of a name: (full pinyin, initials); persons' surnames read as surnames."""
    return name_search_keys(name, is_person=kind == CustomerKind.PERSON)


def mobile_last4(mobile: str) -> str:
    """The last four digits of a mobile (E.164), stored for the call centre's "last four digits" search."""
    if not mobile:
        return ""
    tail = mobile[-4:]
    return tail if tail.isdigit() else national_digits(mobile)[-4:]


def relationship_stage(share_of_wallet: Any, stored: str) -> str:
    """The relationship stage: the one the share of wallet implies when the share is known, else ``stored``."""
    if share_of_wallet is None:
        return stored
    return relationship_stage_for_share(float(share_of_wallet))


def birth_date_and_gender_from_id(*, id_type: str, id_number: str, birth_date: dt.date | None,
                                  gender: str) -> tuple[dt.date | None, str]:
    """The birth date and gender, each filled from a valid 18-character resident ID number when not given."""
    if len(id_number or "") != 18 or id_type != RESIDENT_ID:
        return birth_date, gender
    if not birth_date:
        try:
            birth_date = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        except ValueError:
            birth_date = None
    if not gender and id_number[16].isdigit():
        gender = "male" if int(id_number[16]) % 2 else "female"
    return birth_date, gender


def derive_person(person: dict[str, Any]) -> None:
    """Fill a person profile's columns (a dict) with the birth date and gender its resident ID number encodes."""
    number = person.get("id_number") or ""
    if len(number) == 18 and person.get("id_type") == RESIDENT_ID:
        person["birth_date"], person["gender"] = birth_date_and_gender_from_id(
            id_type=RESIDENT_ID, id_number=number, birth_date=person.get("birth_date"),
            gender=person.get("gender") or "")


def derive_new_customer(customer: dict[str, Any], *, prepared_keys: tuple[str, str] | None = None) -> None:
    """Fill a new customer's columns (a dict) derived from the others: relationship stage, search keys, mobile
    suffix. ``prepared_keys`` are pinyin keys computed ahead (an import prepares rows in parallel)."""
    customer["relationship_stage"] = relationship_stage(customer.get("share_of_wallet"),
                                                        customer.get("relationship_stage") or "")
    customer["name_pinyin"], customer["name_initials"] = (
        prepared_keys if prepared_keys is not None else search_keys(customer["name"], customer["kind"]))
    customer["mobile_last4"] = mobile_last4(customer.get("mobile") or "")


def derive_changes(changes: dict[str, Any], stored: dict[str, Any], *,
                   prepared_keys: tuple[str, str] | None = None) -> None:
    """Add to ``changes`` (columns of a stored customer that change) the derived columns that change with them.

    ``stored`` holds at least ``kind``, ``share_of_wallet`` and ``relationship_stage``. Idempotent: a second call
    with the same stored values changes nothing, and keys already in ``changes`` are not computed again.
    """
    share = changes.get("share_of_wallet", stored["share_of_wallet"])
    if share is not None:
        stage = relationship_stage_for_share(float(share))
        if stage != stored["relationship_stage"]:
            changes["relationship_stage"] = stage
        else:
            changes.pop("relationship_stage", None)
    if "name" in changes and "name_pinyin" not in changes:
        changes["name_pinyin"], changes["name_initials"] = (
            prepared_keys if prepared_keys is not None else search_keys(changes["name"], stored["kind"]))
    if "mobile" in changes:
        changes["mobile_last4"] = mobile_last4(changes["mobile"] or "")
