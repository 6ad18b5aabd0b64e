"""The service API (tickets; knowledge base, surveys and the rest as they join)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["tickets"])
