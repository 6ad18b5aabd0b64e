"""What the agent's screen shows for a caller's number: the lookup's selectors and masking, the registered panels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kehu.core.masking import mask_email, mask_id_number, mask_phone
from kehu.customers.models import Customer
from kehu.customers.models.choices import ConsentChannel
from kehu.customers.selectors import restricted_field_maskers
from kehu.org.models import User

from . import queries

# the customers shown for one number (a shared family or office number); the rest are counted
SHOWN = 10
# the registered panels the screen shows: open tickets and contacts (their permissions decide whether the screen
# reads and shows them; it reads them itself, in its own statement), a next-best-offer panel (loaded through its
# loader, once for all the customers) where one is registered
OPEN_TICKETS_PANEL_KEY = "open_tickets"
CONTACTS_PANEL_KEY = "contacts_log"
NEXT_BEST_OFFER_PANEL_KEY = "next_best_offer"


@dataclass
class CallerCard:
    """One customer on the agent's screen (its ``tag_names`` set, its branch, owner, profile, tier and scores
    loaded), the identity masked for the viewer's role, the latest scores (value, P(active)), the current consent per
    channel and the panels' data (``open_tickets``, ``contacts``, ``offer``), None where the viewer may not see a
    panel or none is registered."""

    customer: Customer
    identity: dict[str, str]
    scores: Any = None
    contacts: Any = None
    offer: Any = None
    offer_panel: Any = None
    open_tickets: Any = None
    may_log: bool = False
    consents: list[tuple[str, Any]] = field(default_factory=list)


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
    shows, in two statements whatever the number of customers (``queries``: the customers with their branch,
    owner, profile, tier and scores; their tags, consents, open tickets and newest contacts), plus the queries of a
    registered next-best-offer panel and, for the roles that may log contacts for only some of the customers they
    see, one for which. The open-tickets and contacts panels' permissions decide whether their parts are read.
    Raises ``ValidationError`` for a number that is not one."""
    from kehu.core.registry import panels

    rows = queries.caller_rows(user=user, phone=phone, limit=SHOWN + 1)
    screen = AgentScreen(phone=phone)
    if not rows:
        return screen
    screen.count = len(rows) if len(rows) <= SHOWN else queries.caller_count(user=user, phone=phone)
    rows = rows[:SHOWN]
    ids = [row.pk for row in rows]
    tickets_panel = panels.get(OPEN_TICKETS_PANEL_KEY)
    contacts_panel = panels.get(CONTACTS_PANEL_KEY)
    sees_tickets = tickets_panel is not None and tickets_panel.allowed(user)
    sees_contacts = contacts_panel is not None and contacts_panel.allowed(user)
    details = queries.caller_details(user=user, ids=ids, tickets=sees_tickets, contacts=sees_contacts)
    loggable = _loggable(user, ids) if sees_contacts else set()
    offer_panel = panels.get(NEXT_BEST_OFFER_PANEL_KEY)
    if offer_panel is not None and not offer_panel.allowed(user):
        offer_panel = None
    offers = offer_panel.loader(ids, user, full=False) if offer_panel is not None else None
    for customer in rows:
        found = details[customer.pk]
        customer.tag_names = found["tag_names"]  # type: ignore[attr-defined]
        screen.cards.append(CallerCard(
            customer=customer, identity=masked_identity(customer, user),
            scores=getattr(customer, "score_summary", None),
            contacts={"contacts": found["contacts"]} if sees_contacts else None,
            offer=offers.get(customer.pk) if offers is not None else None,
            offer_panel=offer_panel if offers is not None else None,
            open_tickets=({"open_tickets": found["open_tickets"], "open_ticket_count": found["open_ticket_count"]}
                          if sees_tickets else None),
            may_log=customer.pk in loggable,
            consents=[(str(label), found["consents"].get(channel)) for channel, label in ConsentChannel.choices],
        ))
    return screen


def _loggable(user: User, ids: list[int]) -> set[int]:
    """Which of these customers (visible to the user) the user may log a call for: all for the roles that log for
    every customer they see (agents: no query), those in the user's change scope for the others (one query)."""
    from kehu.relations.selectors import customers_for_logging, logging_scope

    scope = logging_scope(user=user)
    if scope is None:
        return set()
    if scope == "view":
        return set(ids)
    return set(customers_for_logging(user=user).filter(pk__in=ids).values_list("pk", flat=True))
