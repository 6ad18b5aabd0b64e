"""Background jobs of sales (thin: they call services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.sales.tasks.leads_return_to_pool_task")
def leads_return_to_pool_task() -> int:
    from .services import leads_return_to_pool

    return leads_return_to_pool()
