"""The demo's cadence rules (a registered demo step): sensible defaults for the tiers of the primary tier scheme and
for the management classes, in the spirit of seed 001 (大客户关系维护制度: key customers are called every week,
greeted every month and visited every quarter). No run: ``kehu cadence`` after the demo creates the due tasks."""

from __future__ import annotations

from typing import Any

# (tier position in the primary scheme, management class, channel, every, unit, task title)
DEFAULTS: list[tuple[int | None, str, str, int, str, str]] = [
    (0, "", "phone", 1, "week", "每周电话回访"),
    (0, "", "sms", 1, "month", "节日问候短信"),
    (0, "", "visit", 1, "quarter", "季度上门拜访"),
    (1, "", "phone", 2, "week", "电话回访"),
    (1, "", "visit", 2, "quarter", "半年上门拜访"),
    (2, "", "phone", 1, "month", "月度电话回访"),
    (None, "key", "gift", 1, "year", "年度答谢礼品"),
    (None, "potential", "phone", 1, "month", "潜在客户跟进电话"),
]


def load_cadence_demo(*, customers: list[Any], users: dict[str, Any], seed: int, **_kwargs: Any) -> int:
    """The default rules (a handful of rows; the tiers are those of the primary scheme, whatever it is)."""
    from kehu.scoring.models import TierScheme

    from ..models import CadenceRule
    from .services import cadence_rule_create

    if CadenceRule.objects.exists():
        return 0
    scheme = TierScheme.objects.filter(is_primary=True).first()
    codes = [tier.code for tier in scheme.tiers] if scheme is not None else []
    made = 0
    for position, management_class, channel, every, unit, title in DEFAULTS:
        if position is not None and position >= len(codes) - 1:  # never the lowest tier
            continue
        cadence_rule_create(actor=None, tier=codes[position] if position is not None else "",
                            management_class=management_class, channel=channel, every=every, unit=unit, title=title)
        made += 1
    return made
