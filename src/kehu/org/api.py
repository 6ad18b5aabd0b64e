"""Branches and staff in the user's scope, for pickers (owner, branch) in API clients."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kehu.api.errors import COMMON_ERRORS
from kehu.api.pagination import PageParams, paginate
from kehu.api.schemas import StaffRef

from .roles import ALL_ROLES
from .selectors import branch_list, staff_list

router = Router(tags=["organisation"])


class BranchOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    province: str
    city: str
    province_code: str
    city_code: str


class BranchPage(Schema):
    count: int
    items: list[BranchOut]


class StaffPage(Schema):
    count: int
    items: list[StaffRef]


class StaffListParams(PageParams):
    role: str | None = Field(None, description=f"One of: {', '.join(ALL_ROLES)}.")


@router.get("/branches", response={200: BranchPage, **COMMON_ERRORS}, url_name="branch_list",
            summary="Active branches in your scope")
def list_branches(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    return paginate(branch_list(user=request.auth), params)  # type: ignore[attr-defined]


@router.get("/staff", response={200: StaffPage, **COMMON_ERRORS}, url_name="staff_list",
            summary="Active staff in your scope, optionally of one role")
def list_staff(request: HttpRequest, params: Query[StaffListParams]) -> dict[str, Any]:
    return paginate(staff_list(user=request.auth, role=params.role), params)  # type: ignore[attr-defined]
