"""The agent's screen's writes: the lookup's access-log entry and "log this call" (a contact record through
``kehu.relations``)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kehu.customers.models import Customer
from kehu.customers.services import personal_data_lookup_log
from kehu.org.models import User
from kehu.relations.models import ContactRecord
from kehu.relations.models.contacts import ContactChannel, Direction
from kehu.relations.services import contact_log

CALL_SUMMARY_MAX = 2000


def agent_lookup_log(*, actor: User, customers: list[Customer], ip_address: str | None) -> int:
    """Log that the agent found these customers by a phone number, as the API's phone lookup does."""
    if not customers:
        return 0
    return personal_data_lookup_log(actor=actor, customers=customers, fields="phone",
                                    reason=gettext_noop("Phone lookup"), ip_address=ip_address)


def agent_call_log(*, actor: User, customer: Customer, summary: str = "") -> ContactRecord:
    """"Log this call": an inbound phone contact with the customer, now, by the agent (``relations.contact_log``
    checks that the agent may log contacts for the customer and puts it on the timeline)."""
    from django.utils.translation import gettext

    text = (summary or "").replace("\x00", "").strip()[:CALL_SUMMARY_MAX] or gettext("Inbound call")
    return contact_log(actor=actor, customer=customer, channel=ContactChannel.PHONE, direction=Direction.INBOUND,
                       summary=text)
