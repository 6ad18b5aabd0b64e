"""Schemas shared by several routers."""

from __future__ import annotations

from ninja import Schema


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
