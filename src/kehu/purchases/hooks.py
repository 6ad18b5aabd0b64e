"""Listeners told when transactions are recorded, so that a later module (loyalty's points accrual) reacts without
``purchases`` importing it. A listener is registered in its app's ``AppConfig.ready()`` and is called inside the
recording transaction, in a savepoint: if it fails, the purchase is still recorded (the failure is logged) and the
listener's own catch-up job (e.g. ``kehu loyalty accrue``) picks the transaction up later."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import transaction

from kehu.core.registry import Registry

logger = logging.getLogger(__name__)

TransactionListener = Callable[..., object]
transaction_listeners: Registry[TransactionListener] = Registry("transaction listeners")


def register_transaction_listener(key: str, listener: TransactionListener) -> TransactionListener:
    """``listener(transaction_ids=[...])`` is called after transactions are written, in their database transaction."""
    return transaction_listeners.register(key, listener)


def transactions_recorded(transaction_ids: Sequence[int]) -> None:
    ids = [pk for pk in transaction_ids if pk is not None]
    if not ids:
        return
    for key, listener in transaction_listeners.items():
        try:
            with transaction.atomic():
                listener(transaction_ids=ids)
        except Exception:  # noqa: BLE001 - a listener never loses the purchase; its catch-up job retries
            logger.exception("transaction listener %s failed; its catch-up job will retry", key)
