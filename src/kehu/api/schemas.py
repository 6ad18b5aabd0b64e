"""Schemas and bounded input types shared by several routers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Schema
from pydantic import AfterValidator, Field

from kehu.core import validators


class BranchRef(Schema):
    id: int
    code: str
    name: str


class StaffRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: object) -> str:
        return str(obj)


def django_validator(check: Callable[[Any], None]) -> AfterValidator:
    """Run one of ``kehu.core.validators``' checks on a parsed value; its message becomes the field's 422 message."""

    def run(value: Any) -> Any:
        try:
            check(value)
        except DjangoValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        return value

    return AfterValidator(run)


# The id of a row given in a body or a query string: the tables' keys are 64-bit integers (BigAutoField on both
# databases), so a larger number could match nothing and would overflow the database's integers in a list lookup.
ROW_ID_MAX = 2**63 - 1
# the largest value of a 32-bit integer column (IntegerField, PositiveIntegerField: counts, versions)
INT_MAX = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]

# Dates the API accepts, bounded as everywhere else (kehu.core.validators): a 422 naming the field, never a value
# that cannot be converted to UTC or shown.
BusinessDateTime = Annotated[dt.datetime, django_validator(validators.validate_business_date)]
PastDateTime = Annotated[dt.datetime, django_validator(validators.validate_past_business_date)]
PastDate = Annotated[dt.date, django_validator(validators.validate_past_business_date)]
BirthDate = Annotated[dt.date, django_validator(validators.validate_birth_date)]
FoundingDate = Annotated[dt.date, django_validator(validators.validate_founding_date)]
