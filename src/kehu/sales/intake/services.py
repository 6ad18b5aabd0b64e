"""Writes of web intake: one visitor's submission, from the public page or the API, becomes a lead or is added to what
it matched. One transaction per submission.

- The prospect is checked like a lead entered by staff (``services._clean``: name, mobile or e-mail, company),
  products must be among the form's, the consent box must be ticked and the consent text must be the form's current
  one (so the text stored is the text shown; a text changed in between asks the visitor to read it again).
- Duplicates are matched as ``POST /api/leads`` matches them (mobile, e-mail; ``selectors.lead_matches``). The
  visitor's answer is the same whatever was matched. An open lead matched gets the submission on its timeline
  (``attached``, its products added, blank e-mail or company filled, its owner notified); a customer matched (and no
  open lead) gives a new lead for the customer's owner whose timeline says which customer it matches, so the owner
  sees the interest and nobody else starts chasing the customer.
- New leads have source ``web_form``, the form's campaign and branch, and are assigned by the routes (product,
  region) and then the branch's rule (``services.round_robin_pick``); nobody available: the pool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.validators import text_problem
from kehu.customers.models import Customer
from kehu.purchases.models import Product

from .. import selectors
from ..models import IntakeForm, IntakeSubmission, Lead, LeadEvent, LeadSource, consent_version
from ..services import _clean, _set_owner, event, region_codes, round_robin_pick

MESSAGE_LIMIT = 2000
KEY_LIMIT = 40


@dataclass
class Prospect:
    """What a visitor sent (strings as typed; checked by ``intake_submit``)."""

    name: str = ""
    mobile: str = ""
    email: str = ""
    company: str = ""
    province: str = ""
    city: str = ""
    message: str = ""
    products: list[int] = field(default_factory=list)
    consent: bool = False
    consent_text: str = ""
    language: str = ""


def form_for_key(key: str | None) -> IntakeForm | None:
    """The active form with this public key (None for an unknown, inactive or malformed key)."""
    key = str(key or "").strip()
    if not key or len(key) > KEY_LIMIT or not key.replace("-", "").replace("_", "").isalnum():
        return None
    return IntakeForm.objects.select_related("branch").filter(public_key=key, is_active=True).first()


def origin_allowed(form: IntakeForm, origin: str | None) -> bool:
    return bool(origin) and str(origin).rstrip("/") in form.origins


def address_hash(address: str | None) -> str:
    if not address:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}|intake|{address}".encode()).hexdigest()


def _language(code: str | None) -> str:
    """One of the site's languages (as the visitor's page was shown), else "" (never stored as sent)."""
    wanted = str(code or "").strip().lower()
    return next((known for known, _name in settings.LANGUAGES if known.lower() == wanted), "")


def _normalised(text: str) -> str:
    return " ".join(str(text or "").split())


def _check(form: IntakeForm, prospect: Prospect) -> tuple[dict[str, Any], list[Product], dict[str, str]]:
    errors: dict[str, list[str]] = {}
    values = _clean({"name": prospect.name, "mobile": prospect.mobile, "email": prospect.email,
                     "company": prospect.company}, errors)
    if not values.get("name") and "name" not in errors:
        errors["name"] = [_("This field is required.")]
    if not values.get("mobile") and not values.get("email") and "mobile" not in errors and "email" not in errors:
        errors["mobile"] = [_("Give a mobile or an e-mail address.")]
    message = str(prospect.message or "").strip()
    problem = text_problem(message)
    if problem or len(message) > MESSAGE_LIMIT:
        errors["message"] = [problem or _("Ensure this value has at most %(max)s characters or items.")
                             % {"max": MESSAGE_LIMIT}]
    values["message"] = message
    offered = {product.pk: product for product in form.products.filter(is_active=True)}
    wanted = set(prospect.products or [])
    if not wanted <= set(offered):
        errors["products"] = [_("Choose among the products offered.")]
    region = {"province_code": "", "city_code": ""}
    for name in ("province", "city"):
        text = str(getattr(prospect, name) or "")
        if text_problem(text) or len(text) > 40:
            errors[name] = [text_problem(text) or _("Ensure this value has at most %(max)s characters or items.")
                            % {"max": 40}]
    if "province" not in errors and "city" not in errors:
        region = region_codes(prospect.province, prospect.city)
    if not prospect.consent:
        errors["consent"] = [_("Please agree to be contacted.")]
    elif _normalised(prospect.consent_text) != _normalised(form.consent_text):
        errors["consent"] = [_("The consent text has changed since the form was shown; please read it again.")]
    if errors:
        raise ValidationError(errors)
    return values, [offered[pk] for pk in sorted(wanted)], region


@transaction.atomic
def intake_submit(*, form: IntakeForm, prospect: Prospect, channel: str = IntakeSubmission.Channel.WEB,
                  address: str | None = None) -> IntakeSubmission:
    """Check a visitor's submission and file it (new lead, or added to the matched lead or customer). Invalid:
    ``ValidationError`` by field, nothing written. The caller answers the visitor the same way whatever the
    outcome."""
    values, products, region = _check(form, prospect)
    now = timezone.now()
    submission = IntakeSubmission(
        form=form, channel=channel, name=values["name"], mobile=values.get("mobile", ""),
        email=values.get("email", ""), company=values.get("company", ""), message=values["message"],
        products=[product.pk for product in products], consent_text=form.consent_text,
        consent_version=consent_version(form.consent_text), consented_at=now,
        language=_language(prospect.language), address_hash=address_hash(address), **region,
        outcome=IntakeSubmission.Outcome.CREATED)
    matches = [match for match in selectors.lead_matches(
        user=AnonymousUser(),  # type: ignore[arg-type]  # nobody's scope: the public answer reveals nothing
        name=values["name"], mobile=values.get("mobile", ""), email=values.get("email", ""))
        if match.hard]
    lead_match = next((match for match in matches if match.kind == "lead"), None)
    customer_match = next((match for match in matches if match.kind == "customer"), None)
    if lead_match is not None:
        submission.outcome = IntakeSubmission.Outcome.LEAD
        submission.lead = _attach(lead_id=lead_match.id, submission=submission, products=products, values=values)
        submission.save()
        return submission
    customer = Customer.objects.filter(pk=customer_match.id).first() if customer_match else None
    if customer is not None:
        submission.outcome = IntakeSubmission.Outcome.CUSTOMER
        submission.customer = customer
    submission.lead = _create(form=form, values=values, products=products, region=region, customer=customer,
                              now=now)
    submission.save()
    return submission


def _summary(submission: IntakeSubmission, products: Iterable[Product]) -> dict[str, Any]:
    return {"form": submission.form.name, "channel": submission.channel, "message": submission.message[:500],
            "products": [product.name for product in products], "consent_version": submission.consent_version}


def _create(*, form: IntakeForm, values: dict[str, Any], products: list[Product], region: dict[str, str],
            customer: Customer | None, now: Any) -> Lead:
    lead = Lead(name=values["name"], mobile=values.get("mobile", ""), email=values.get("email", ""),
                company=values.get("company", ""), source=LeadSource.WEB_FORM, campaign=form.campaign,
                notes=values["message"], branch=form.branch, worked_at=now, **region)
    lead.save()
    if products:
        lead.products.set(products)
    data: dict[str, Any] = {"source": lead.source, "campaign": lead.campaign, "intake": form.name}
    if customer is not None:
        data["duplicate_of"] = {"kind": "customer", "id": customer.pk, "name": customer.name}
    event(lead=lead, kind=LeadEvent.Kind.CREATED, actor=None, when=now, **data)
    owner = None
    if customer is not None and customer.owner is not None and customer.owner.is_active:
        owner = customer.owner  # the customer's own account manager hears of the interest; no second chaser
    if owner is None:
        owner = round_robin_pick(branch=form.branch, lead=lead)
    if owner is not None:
        _set_owner(lead=lead, owner=owner, actor=None, kind=LeadEvent.Kind.ASSIGNED, now=now)
    else:
        Lead.objects.filter(pk=lead.pk).update(pooled_at=now)
        lead.pooled_at = now
    return lead


def _attach(*, lead_id: int, submission: IntakeSubmission, products: list[Product], values: dict[str, Any]) -> Lead:
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    fill = {name: values[name] for name in ("email", "company") if values.get(name) and not getattr(lead, name)}
    Lead.objects.filter(pk=lead.pk).update(**fill, version=F("version") + 1)
    if products:
        lead.products.add(*products)
    event(lead=lead, kind=LeadEvent.Kind.ATTACHED, actor=None, source=LeadSource.WEB_FORM,
          campaign=submission.form.campaign, notes=submission.message[:500],
          **{key: value for key, value in _summary(submission, products).items() if key != "message"})
    if lead.owner is not None:
        from django.urls import reverse

        from kehu.work.services import notification_send

        notification_send(recipients=[lead.owner], kind="lead_assigned",
                          title=_("%(name)s sent the web form again") % {"name": str(lead)},
                          body=submission.form.name, url=reverse("sales:lead", args=[lead.pk]))
    return lead
