"""The customers API: list/search, create, read, update, contacts, consent, transfer, reveal, the phone lookup and the
timeline, one router (``/api/customers``) in parts:

- ``schemas.py``: the output schemas (masked personal data, the screen pop built from the registered panels) and the
  input schemas;
- ``common.py``: the router and what every part needs (the actor, a visible customer, branch and staff choices);
- ``customers.py``: list/search, create, the phone lookup, divisions and industries, transfer, read, update, reveal;
- ``contacts.py``, ``consents.py``, ``timeline.py``: a customer's contacts, consent and timeline.

Each operation parses its input, calls a selector or a service and serialises. Scoping, permissions and validation
live in the selectors and services; personal data is masked here, in the schemas, except in ``/reveal``.
"""

# isort: off
# the parts register their operations on the one router in this order (the order of the paths and URL patterns)
from .common import router
from . import customers, contacts, consents, timeline  # noqa: F401
# isort: on

__all__ = ["router"]
