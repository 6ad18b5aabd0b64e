"""Every write of the loyalty module: programmes, memberships, cards, the points ledger, level evaluation.

The points ledger's discipline: every change is one ``PointsEntry`` (append-only) written together with the
account's new ``balance`` in one database transaction, after ``select_for_update`` on the account row, so
concurrent writers queue on the row and the balance always equals the sum of the entries and is never negative
(a check constraint backs this up). Earning from purchases is exactly once per (account, transaction, kind): the
accrual locks the accounts first, skips transactions that already have an entry and a unique constraint is the
last guard.

The services are split by subject into this package's modules; every name is re-exported here, so
``from kehu.loyalty.services import X`` and ``services.X`` keep working.
"""

from ._base import (
    CARD_PREFIX,
    DEFAULT_PROGRAMME_CODE,
    POINTS_MAX,
    VALUE_MAX,
    InsufficientPointsError,
    InsufficientValueError,
    _check_amount,
    _check_customer,
    _check_points,
    _check_usable,
    _post,
    _post_value,
    _usable_card,
)
from .adjustments import (
    on_adjustment_decided,
    points_adjustment_request,
)
from .cards import (
    CARD_TRANSITIONS,
    _card_locked,
    card_change_status,
    card_issue,
    card_number_new,
    card_number_valid,
    card_replace,
)
from .closing import settlement_close, settlement_reopen
from .earning import (
    _accrual_candidates,
    _accrue_rows,
    _balances_write,
    _rules_by_programme,
    accrue,
    accrue_on_record,
    earning_points,
)
from .expiry import (
    _expiring,
    points_expire,
)
from .group import (
    GroupLimitError,
    group_rules_for,
    group_rules_save,
    promotion_limits_check,
    store_promotion_save,
)
from .levels import (
    levels_evaluate,
)
from .merge import (
    merge_ledger_rows,
    merge_memberships,
)
from .partners import (
    PartnerLimitError,
    exchange_answer,
    exchange_in,
    exchange_out,
    partner_save,
)
from .points import (
    counter_store_id,
    points_redeem,
)
from .programmes import (
    _entry_level,
    level_save,
    membership_ensure,
    programme_default,
)
from .reconciliation import (
    reconcile,
    reconcile_iter,
    reconcile_stored_value,
    reconcile_stored_value_iter,
    reconcile_summary,
)
from .stored_value import (
    stored_value_daily,
    stored_value_move,
)
from .transfer import stored_value_transfer

__all__ = [
    "GroupLimitError",
    "group_rules_for",
    "group_rules_save",
    "promotion_limits_check",
    "store_promotion_save",
    "PartnerLimitError",
    "exchange_answer",
    "exchange_in",
    "exchange_out",
    "partner_save",
    "stored_value_transfer",
    "settlement_close",
    "settlement_reopen",
    "CARD_PREFIX",
    "CARD_TRANSITIONS",
    "DEFAULT_PROGRAMME_CODE",
    "InsufficientPointsError",
    "InsufficientValueError",
    "POINTS_MAX",
    "VALUE_MAX",
    "_accrual_candidates",
    "_accrue_rows",
    "_balances_write",
    "_card_locked",
    "_check_amount",
    "_check_customer",
    "_check_points",
    "_check_usable",
    "_entry_level",
    "_expiring",
    "_post",
    "_post_value",
    "_rules_by_programme",
    "_usable_card",
    "accrue",
    "accrue_on_record",
    "card_change_status",
    "card_issue",
    "card_number_new",
    "card_number_valid",
    "card_replace",
    "earning_points",
    "level_save",
    "levels_evaluate",
    "membership_ensure",
    "merge_ledger_rows",
    "merge_memberships",
    "on_adjustment_decided",
    "points_adjustment_request",
    "points_expire",
    "counter_store_id",
    "points_redeem",
    "programme_default",
    "reconcile",
    "reconcile_iter",
    "reconcile_stored_value",
    "reconcile_stored_value_iter",
    "reconcile_summary",
    "stored_value_daily",
    "stored_value_move",
]
