"""What the agent's screen shows for a caller's number: the lookup's selectors and masking, the registered panels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kehu.core.masking import mask_email, mask_id_number, mask_phone
from kehu.customers.models import Customer
from kehu.customers.models.choices import ConsentChannel
from kehu.customers.selectors import (
    Customer360Summary,
    customer_360_summary,
    customer_lookup_by_phone,
    restricted_field_maskers,
)
from kehu.org.models import User

# the customers shown for one number (a shared family or office number); the rest are counted
SHOWN = 10
# the registered panels the screen shows besides those of the screen pop (loaded once for all the customers)
CONTACTS_PANEL_KEY = "contacts_log"
NEXT_BEST_OFFER_PANEL_KEY = "next_best_offer"


@dataclass
class CallerCard:
    """One customer on the agent's screen: the lookup's 360 summary, the identity masked for the viewer's role, the
    latest scores (value, P(active)) and the data of the extra panels (``contacts``, ``offer``), None where the
    viewer may not see a panel or none is registered."""

    summary: Customer360Summary
    identity: dict[str, str]
    scores: Any = None
    contacts: Any = None
    offer: Any = None
    offer_panel: Any = None
    open_tickets: Any = None
    may_log: bool = False
    consents: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def customer(self) -> Customer:
        return self.summary.customer


@dataclass
class AgentScreen:
    phone: str
    count: int = 0
    cards: list[CallerCard] = field(default_factory=list)


def masked_identity(customer: Customer, user: User) -> dict[str, str]:
    """The caller's identity as the viewer's role may see it: phones, e-mail and ID number masked for everyone (a
    logged reveal on the customer's page shows them), street address and birth date masked for roles without the
    personal-data permission."""
    maskers = restricted_field_maskers(user)
    person = getattr(customer, "person", None) if customer.kind == "person" else None
    address = customer.address
    birth: Any = getattr(person, "birth_date", None)
    return {
        "mobile": mask_phone(customer.mobile),
        "phone": mask_phone(customer.phone),
        "email": mask_email(customer.email),
        "id_number": mask_id_number(person.id_number) if person else "",
        "address": maskers["address"](address) if "address" in maskers and address else address,
        "birth_date": (maskers["birth_date"](birth) if "birth_date" in maskers else birth.isoformat()) if birth else "",
        "region": " ".join(part for part in (customer.province, customer.city, customer.district) if part),
    }


def agent_screen(*, user: User, phone: str) -> AgentScreen:
    """The customers (visible to the user) with this number and, for the first ``SHOWN``, everything the screen
    shows: a fixed number of queries whatever the number of customers (the lookup's with the scores joined in, the
    contacts panel's and the next-best-offer panel's). Raises ``ValidationError`` for a number that is not one."""
    from kehu.core.registry import panels

    matches = customer_lookup_by_phone(user=user, phone=phone).order_by("-id")
    # the scores (value, P(active)) joined in: one round trip fewer than a query of their own
    rows = list(matches.select_related("score_summary")[: SHOWN + 1])
    screen = AgentScreen(phone=phone)
    if not rows:
        return screen
    screen.count = len(rows) if len(rows) <= SHOWN else matches.count()
    rows = rows[:SHOWN]
    summaries = customer_360_summary(user=user, customers=rows)
    ids = [row.pk for row in rows]
    extra: dict[str, dict[int, Any]] = {}
    panel_by_key: dict[str, Any] = {}
    for key in (CONTACTS_PANEL_KEY, NEXT_BEST_OFFER_PANEL_KEY):
        panel = panels.get(key)
        if panel is not None and panel.allowed(user):
            panel_by_key[key] = panel
            extra[key] = panel.loader(ids, user, full=False)
    for summary in summaries:
        pk = summary.customer.pk
        by_key = {item.panel.key: item.data for item in summary.panels}
        contacts = extra.get(CONTACTS_PANEL_KEY, {}).get(pk)
        screen.cards.append(CallerCard(
            summary=summary, identity=masked_identity(summary.customer, user),
            scores=getattr(summary.customer, "score_summary", None),
            contacts=contacts, offer=extra.get(NEXT_BEST_OFFER_PANEL_KEY, {}).get(pk),
            offer_panel=panel_by_key.get(NEXT_BEST_OFFER_PANEL_KEY), open_tickets=by_key.get("open_tickets"),
            may_log=bool(contacts and contacts.get("may_log")),
            consents=[(str(label), summary.current_consents.get(channel)) for channel, label in ConsentChannel.choices],
        ))
    return screen
