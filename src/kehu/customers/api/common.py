"""The customers router and what its parts share: the actor, a customer the actor may see, branch and staff choices."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from kehu.org.models import Branch, User
from kehu.org.selectors import branch_list, owner_list

from .. import selectors
from ..models import Customer


class CustomersRouter(Router):
    """A router whose operation ids stay those of the single module the API was (``kehu_customers_api_<function>``):
    clients generated from the OpenAPI document keep their method names."""

    def add_api_operation(self, path: str, methods: list[str], view_func: Any, **kwargs: Any) -> None:
        kwargs["operation_id"] = kwargs.get("operation_id") or f"kehu_customers_api_{view_func.__name__}"
        super().add_api_operation(path, methods, view_func, **kwargs)


router = CustomersRouter(tags=["customers"])


def request_actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


def _choose(queryset: Any, pk: int | None, field: str) -> Any:
    """The row of a selector's queryset with this id, or a 422 naming ``field``."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: [_("Select a valid choice. That choice is not one of the available choices.")]})
    return found


def branch_choice(pk: int | None, field: str) -> Branch | None:
    # any active branch; the services check that it is in the actor's scope
    return _choose(branch_list(), pk, field)


def staff_choice(actor: User, pk: int | None, field: str) -> User | None:
    return _choose(owner_list(user=actor), pk, field)


def visible_customer(actor: User, customer_id: int) -> Customer:
    """A customer the actor may see; ``Customer.DoesNotExist`` (404) otherwise, also for other branches' customers."""
    return selectors.customer_get(user=actor, pk=customer_id)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
