"""Writes of opportunities: create, update (details and product lines), move to a stage (with its history and the
time spent in the stage left), win, lose with a reason, and the hand-over of a leaving member's open opportunities.
Every function is one transaction; a customer's opportunity goes on the customer's timeline (kind ``opportunity``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.exceptions import ConcurrentUpdateError
from kehu.core.validators import text_problem, validate_business_date
from kehu.customers.models import Customer
from kehu.customers.timeline import activity_record, activity_record_bulk
from kehu.org.models import Branch, User
from kehu.org.selectors import staff_list
from kehu.purchases.models import Product

from ..models import Lead, LossReason, Opportunity, OpportunityLine, OpportunityStatus, Stage, StageChange, StageKind
from . import selectors

TEXT_LIMITS = {"name": 200, "next_step": 200, "competitors": 1000}
EDITABLE = ("name", "expected_close", "next_step", "competitors", "committed", "probability")
MAX_QUANTITY = Decimal("1000000")
MAX_PRICE = Decimal("100000000")  # a line's amount stays under 10¹⁴ (the column's 14 digits)
MAX_LINES = 50


def _required(errors: dict[str, list[str]], name: str) -> None:
    errors.setdefault(name, []).append(_("This field is required."))


def _clean(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """Check and normalise the editable fields given; problems go into ``errors`` by field name."""
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name in TEXT_LIMITS:
            value = str(value or "").strip()
            problem = text_problem(value)
            if problem:
                errors.setdefault(name, []).append(problem)
            elif len(value) > TEXT_LIMITS[name]:
                errors.setdefault(name, []).append(
                    _("Ensure this value has at most %(max)s characters or items.") % {"max": TEXT_LIMITS[name]})
            elif name == "name" and not value:
                _required(errors, name)
            else:
                cleaned[name] = value
        elif name == "expected_close":
            if not isinstance(value, dt.date):
                _required(errors, name)
                continue
            try:
                validate_business_date(value)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.messages)
                continue
            cleaned[name] = value
        elif name == "committed":
            cleaned[name] = bool(value)
        elif name == "probability":
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                errors.setdefault(name, []).append(_("Enter a whole number from 0 to 100."))
                continue
            cleaned[name] = value
    return cleaned


def _lines(lines: Iterable[dict[str, Any]] | None, errors: dict[str, list[str]]) -> list[OpportunityLine] | None:
    """Product lines from ``{"product": id, "quantity": …, "unit_price": …}`` (price defaults to the product's list
    price); unsaved rows with their amounts."""
    if lines is None:
        return None
    rows = list(lines)
    if len(rows) > MAX_LINES:
        errors.setdefault("lines", []).append(_("At most %(max)s products.") % {"max": MAX_LINES})
        return []
    wanted = set()
    for row in rows:
        product = row.get("product")
        if isinstance(product, Product):
            product = product.pk
        if not isinstance(product, int) or isinstance(product, bool):
            errors.setdefault("lines", []).append(_("Choose active products."))
            return []
        wanted.add(product)
    products = {product.pk: product for product in Product.objects.filter(pk__in=wanted, is_active=True)}
    if len(products) != len(wanted):
        errors.setdefault("lines", []).append(_("Choose active products."))
        return []
    result = []
    for row in rows:
        product = products[row["product"].pk if isinstance(row["product"], Product) else row["product"]]
        try:
            quantity = Decimal(str(row.get("quantity", 1)))
            price_value = row.get("unit_price")
            price = Decimal(str(price_value)) if price_value not in (None, "") else (product.list_price or Decimal(0))
        except (InvalidOperation, ValueError):
            errors.setdefault("lines", []).append(_("Enter quantities and prices as numbers."))
            return []
        if not (quantity.is_finite() and price.is_finite()) or not Decimal(0) < quantity <= MAX_QUANTITY \
                or not Decimal(0) <= price <= MAX_PRICE:
            errors.setdefault("lines", []).append(
                _("A quantity is more than 0 and at most %(quantity)s; a price from 0 to %(price)s.")
                % {"quantity": MAX_QUANTITY, "price": MAX_PRICE})
            return []
        quantity = quantity.quantize(Decimal("0.01"))
        price = price.quantize(Decimal("0.01"))
        result.append(OpportunityLine(product=product, quantity=quantity, unit_price=price,
                                      amount=(quantity * price).quantize(Decimal("0.01"))))
    return result


def _record(opportunity: Opportunity, *, action: str, actor: User | None, when: dt.datetime | None = None,
            **data: Any) -> None:
    """A customer's opportunity on the customer's timeline (a lead's has the stage history only)."""
    if opportunity.customer_id:
        activity_record(customer=opportunity.customer_id, kind="opportunity", occurred_at=when, actor=actor,
                        branch_id=opportunity.branch_id, subject=opportunity,
                        data={"action": action, "name": opportunity.name, "amount": str(opportunity.amount), **data})


def _stage_in(pipeline_id: int, stage: Stage | int | None, errors: dict[str, list[str]]) -> Stage | None:
    stage_id = stage.pk if isinstance(stage, Stage) else stage
    found = Stage.objects.filter(pipeline_id=pipeline_id, pk=stage_id).first() if stage_id else None
    if found is None:
        errors.setdefault("stage", []).append(_("Choose a stage of the pipeline."))
    return found


@transaction.atomic
def opportunity_create(*, actor: User, name: str, expected_close: dt.date | None,
                       customer: Customer | int | None = None, lead: Lead | int | None = None,
                       owner: User | None = None, branch: Branch | None = None,
                       pipeline: int | None = None, stage: Stage | int | None = None, next_step: str = "",
                       competitors: str = "", committed: bool = False, probability: int | None = None,
                       lines: Iterable[dict[str, Any]] | None = None, when: dt.datetime | None = None) -> Opportunity:
    """A new open opportunity for a customer or a lead the actor may see (exactly one), in ``pipeline`` (default:
    the default pipeline) at ``stage`` (default: its first open stage); the owner defaults to the actor and must be
    staff of the actor's branches; the branch is the customer's (the lead's)."""
    if not selectors.may_work(actor):
        raise PermissionDenied(_("You may not create opportunities."))
    errors: dict[str, list[str]] = {}
    values = _clean({"name": name, "expected_close": expected_close, "next_step": next_step,
                     "competitors": competitors, "committed": committed, "probability": probability}, errors)
    chosen_lines = _lines(lines, errors) or []
    the_customer = the_lead = None
    if (customer is None) == (lead is None):
        errors.setdefault("customer", []).append(_("Choose a customer or a lead (one of them)."))
    elif customer is not None:
        customer_id = customer.pk if isinstance(customer, Customer) else customer
        the_customer = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
        if the_customer is None:
            errors.setdefault("customer", []).append(_("Choose a customer you can see."))
    else:
        assert lead is not None
        lead_id = lead.pk if isinstance(lead, Lead) else lead
        the_lead = Lead.objects.visible_to(actor).filter(pk=lead_id).first()
        if the_lead is None:
            errors.setdefault("lead", []).append(_("Choose a lead you can see."))
    the_pipeline = selectors.pipeline_get(pipeline)
    if the_pipeline is None:
        errors.setdefault("pipeline", []).append(_("Choose an active pipeline."))
        the_stage = None
    elif stage is None:
        the_stage = selectors.pipeline_stages(the_pipeline.pk)[0]
    else:
        the_stage = _stage_in(the_pipeline.pk, stage, errors)
        if the_stage is not None and the_stage.kind != StageKind.OPEN:
            errors.setdefault("stage", []).append(_("A new opportunity starts in an open stage."))
    the_owner = owner or actor
    if the_owner.pk != actor.pk and not staff_list(user=actor).filter(pk=the_owner.pk).exists():
        errors.setdefault("owner", []).append(_("Choose an active member of staff in your branches."))
    if errors:
        raise ValidationError(errors)
    assert the_stage is not None and the_pipeline is not None
    subject = the_customer or the_lead
    the_branch = branch or Branch.objects.get(pk=subject.branch_id)  # type: ignore[union-attr]
    now = when or timezone.now()
    opportunity = Opportunity.objects.create(
        customer=the_customer, lead=the_lead, owner=the_owner, branch=the_branch, pipeline=the_pipeline,
        stage=the_stage, probability=values.pop("probability", the_stage.probability), reached_order=the_stage.order,
        stage_entered_at=now, created_by=actor, created_at=now,
        amount=sum((line.amount for line in chosen_lines), Decimal(0)), **values)
    for line in chosen_lines:
        line.opportunity = opportunity
    OpportunityLine.objects.bulk_create(chosen_lines)
    StageChange.objects.create(opportunity=opportunity, from_stage=None, to_stage=the_stage, at=now, actor=actor)
    _record(opportunity, action="created", actor=actor, when=now, stage=the_stage.name)
    return opportunity


def _locked(*, actor: User, opportunity: Opportunity | int, expected_version: int | None) -> Opportunity:
    pk = opportunity.pk if isinstance(opportunity, Opportunity) else opportunity
    if not Opportunity.objects.visible_to(actor, "change").filter(pk=pk).exists():
        if Opportunity.objects.visible_to(actor).filter(pk=pk).exists():
            raise PermissionDenied(_("You may not change this opportunity."))
        raise Opportunity.DoesNotExist
    locked = Opportunity.objects.select_for_update().get(pk=pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentUpdateError(locked.version)
    return locked


@transaction.atomic
def opportunity_update(*, actor: User, opportunity: Opportunity | int, expected_version: int | None,
                       lines: Iterable[dict[str, Any]] | None = None, **changes: Any) -> Opportunity:
    """Change an opportunity's details and (``lines`` given) replace its product lines; the amount follows."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    locked = _locked(actor=actor, opportunity=opportunity, expected_version=expected_version)
    if not locked.is_open:
        raise ValidationError({"status": [_("A closed opportunity cannot be changed.")]})
    errors: dict[str, list[str]] = {}
    values = _clean(changes, errors)
    chosen = _lines(lines, errors)
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(locked, name, value)
    if chosen is not None:
        locked.lines.all().delete()
        for line in chosen:
            line.opportunity = locked
        OpportunityLine.objects.bulk_create(chosen)
        locked.amount = sum((line.amount for line in chosen), Decimal(0))
    locked.version += 1
    locked.save()
    return locked


def _loss_reason(reason: LossReason | int | None, errors: dict[str, list[str]]) -> LossReason | None:
    reason_id = reason.pk if isinstance(reason, LossReason) else reason
    found = LossReason.objects.filter(pk=reason_id, is_active=True).first() if reason_id else None
    if found is None:
        errors.setdefault("reason", []).append(_("Say why the deal was lost."))
    return found


@transaction.atomic
def opportunity_move(*, actor: User, opportunity: Opportunity | int, stage: Stage | int,
                     expected_version: int | None = None, reason: LossReason | int | None = None, note: str = "",
                     when: dt.datetime | None = None) -> Opportunity:
    """Move an open opportunity to another stage of its pipeline: a ``StageChange`` with the time spent in the stage
    left; the probability becomes the stage's. A won stage wins the deal, a lost stage loses it (``reason``
    required)."""
    locked = _locked(actor=actor, opportunity=opportunity, expected_version=expected_version)
    errors: dict[str, list[str]] = {}
    if not locked.is_open:
        raise ValidationError({"stage": [_("This opportunity is closed.")]})
    target = _stage_in(locked.pipeline_id, stage, errors)
    loss = _loss_reason(reason, errors) if target is not None and target.kind == StageKind.LOST else None
    problem = text_problem(note or "")
    if problem or len(note or "") > 500:
        errors.setdefault("note", []).append(problem or _("Ensure this value has at most %(max)s characters or "
                                                          "items.") % {"max": 500})
    if errors:
        raise ValidationError(errors)
    assert target is not None
    if target.pk == locked.stage_id:
        return locked
    now = when or timezone.now()
    seconds = max(0, int((now - locked.stage_entered_at).total_seconds()))
    previous = Stage.objects.get(pk=locked.stage_id)
    StageChange.objects.create(opportunity=locked, from_stage_id=locked.stage_id, to_stage=target, at=now,
                               actor=actor, seconds_in_previous=seconds)
    locked.stage = target
    locked.probability = target.probability
    locked.stage_entered_at = now
    action = "stage"
    if target.kind == StageKind.OPEN:
        locked.reached_order = max(locked.reached_order, target.order)
    else:
        locked.status = OpportunityStatus.WON if target.kind == StageKind.WON else OpportunityStatus.LOST
        locked.closed_at = now
        locked.cycle_days = max(0, (timezone.localdate(now) - timezone.localdate(locked.created_at)).days)
        locked.loss_reason = loss
        locked.loss_note = (note or "").strip() if loss else ""
        action = locked.status
    locked.version += 1
    locked.save()
    _record(locked, action=action, actor=actor, when=now, stage=target.name, previous=previous.name,
            reason=loss.name if loss else "")
    if locked.status == OpportunityStatus.WON:  # the sale as transactions and the onboarding plan (sales/conversion)
        from ..conversion.services import opportunity_onboard

        opportunity_onboard(actor=actor, opportunity=locked.pk)
    return locked


@transaction.atomic
def opportunity_win(*, actor: User, opportunity: Opportunity | int, expected_version: int | None = None,
                    when: dt.datetime | None = None) -> Opportunity:
    """Win the deal: move it to its pipeline's won stage."""
    locked = _locked(actor=actor, opportunity=opportunity, expected_version=expected_version)
    stage = selectors.closing_stage(locked.pipeline_id, StageKind.WON)
    return opportunity_move(actor=actor, opportunity=locked, stage=stage, when=when)


@transaction.atomic
def opportunity_lose(*, actor: User, opportunity: Opportunity | int, reason: LossReason | int | None,
                     note: str = "", expected_version: int | None = None,
                     when: dt.datetime | None = None) -> Opportunity:
    """Lose the deal with a reason: move it to its pipeline's lost stage."""
    locked = _locked(actor=actor, opportunity=opportunity, expected_version=expected_version)
    stage = selectors.closing_stage(locked.pipeline_id, StageKind.LOST)
    return opportunity_move(actor=actor, opportunity=locked, stage=stage, reason=reason, note=note, when=when)


def opportunities_hand_over(*, actor: User, from_owner: User, to_owner: User) -> list[int]:
    """The leaving member's open opportunities the actor may change go to ``to_owner`` (one UPDATE; one timeline
    row per customer opportunity, one INSERT). Called inside the hand-over's transaction."""
    scope = Opportunity.objects.visible_to(actor, "change").filter(owner=from_owner, status=OpportunityStatus.OPEN)
    rows = list(scope.values_list("pk", "customer_id", "branch_id", "name"))
    ids = [row[0] for row in rows]
    if not ids:
        return []
    Opportunity.objects.filter(pk__in=ids).update(owner=to_owner, version=F("version") + 1)
    now = timezone.now()
    activity_record_bulk([
        {"customer_id": customer_id, "kind": "opportunity", "occurred_at": now, "actor_id": actor.pk,
         "branch_id": branch_id, "subject_type": "sales.opportunity", "subject_id": pk,
         "data": {"action": "hand_over", "name": name, "previous": str(from_owner), "owner": str(to_owner)}}
        for pk, customer_id, branch_id, name in rows if customer_id])
    return ids
