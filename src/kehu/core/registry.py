"""The registries through which apps extend the hub without the hub knowing them.

Each app fills them in its ``AppConfig.ready()`` (see docs/architecture.md, "How to add a module"); ``customers``,
``org``, ``imports`` and ``home`` read them and import no later app. Six registries:

- :data:`panels` — sections of the customer 360 page and of the call-centre screen pop (``/api/customers/lookup``);
- :data:`timeline_kinds` — the kinds of rows of the customer timeline (``customers.Activity``);
- :data:`import_targets` — what ``kehu import`` and the import wizard can load;
- :data:`role_grants` — which permissions each staff role holds, per app (``kehu.org.services.sync_roles``);
- :data:`merge_policies` — what a customer merge does with each model that refers to a customer;
- :data:`home_sections` — sections of the home dashboard (alerts, recent changes, figures, a later module's tasks).

This module imports nothing of Kehu's: it is the bottom layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class Registry(Generic[T]):
    """Items by key, in registration order. Registering a key twice is an error (two apps claiming one name) unless
    ``replace=True``; tests add an item for their duration with :meth:`temporarily`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, key: str, item: T, *, replace: bool = False) -> T:
        if key in self._items and not replace and self._items[key] is not item:
            raise ImproperlyConfigured(f"{self.name}: {key!r} is registered twice")
        self._items[key] = item
        return item

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def __getitem__(self, key: str) -> T:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def keys(self) -> list[str]:
        return list(self._items)

    def values(self) -> list[T]:
        return list(self._items.values())

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    @contextmanager
    def temporarily(self, key: str, item: T) -> Iterator[T]:
        """Register ``item`` for the duration of a ``with`` block (tests), restoring what was there before."""
        previous = self._items.get(key)
        self._items[key] = item
        try:
            yield item
        finally:
            if previous is None:
                self._items.pop(key, None)
            else:
                self._items[key] = previous


# --- customer panels ------------------------------------------------------------------------------------------------

PanelLoader = Callable[..., dict[int, Any]]


@dataclass(frozen=True)
class CustomerPanel:
    """A section of the customer 360 page and, when it has an API ``schema``, of the screen pop.

    ``loader(customer_ids, user, full=...)`` returns the panel's data per customer id for every customer of a request
    at once (batched: a fixed number of queries, ``queries``, whatever the number of customers). ``full`` is True for
    the 360 page (one customer, everything the template shows) and False for the screen pop (what ``schema`` holds).
    The caller has already scoped the customers to the user. ``template`` renders the section with ``panel``,
    ``data``, ``customer`` and ``request`` in its context. The panel is shown only to users holding ``permission``
    ("app_label.codename"; empty: everyone who may see the customer). ``schema`` is a ninja Schema whose fields join
    each item of ``/api/customers/lookup`` (null for a user without the permission); without one, the panel is on the
    360 page only.
    """

    key: str
    title: Any  # a lazy translation
    order: int
    loader: PanelLoader
    template: str
    permission: str = ""
    schema: type | None = None
    queries: int = 1

    def allowed(self, user: Any) -> bool:
        return not self.permission or bool(user.has_perm(self.permission))


panels: Registry[CustomerPanel] = Registry("customer panels")


def register_panel(panel: CustomerPanel) -> CustomerPanel:
    return panels.register(panel.key, panel)


def panel_list(*, screen_pop: bool = False) -> list[CustomerPanel]:
    """The registered panels in their order (those with an API schema only, for the screen pop)."""
    return sorted((panel for panel in panels.values() if panel.schema is not None or not screen_pop),
                  key=lambda panel: (panel.order, panel.key))


# --- timeline -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineKind:
    """A kind of customer timeline row: its label, how its one-line title is written from the row (``title(activity)``
    → text in the request's language), the template of its row on the 360 page (empty: the generic row) and the
    permission a user needs to see rows of the kind (empty: anyone who may see the customer)."""

    key: str
    label: Any
    title: Callable[[Any], str]
    template: str = ""
    permission: str = ""


timeline_kinds: Registry[TimelineKind] = Registry("timeline kinds")


def register_timeline_kind(kind: TimelineKind) -> TimelineKind:
    return timeline_kinds.register(kind.key, kind)


# --- import targets -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportTargetEntry:
    """An import target: ``key`` as ``kehu import KEY`` and ``ImportJob.target`` name it, the dotted path of its
    ``kehu.imports.targets.base.Target`` subclass (imported when first used, so that registering costs nothing) and
    the permissions a user needs to start such an import in the wizard."""

    key: str
    label: Any
    target: str
    permissions: tuple[str, ...] = ()

    def target_class(self) -> Any:
        from django.utils.module_loading import import_string

        return import_string(self.target)


import_targets: Registry[ImportTargetEntry] = Registry("import targets")


def register_import_target(key: str, label: Any, target: str, *, permissions: tuple[str, ...] = ()
                           ) -> ImportTargetEntry:
    return import_targets.register(key, ImportTargetEntry(key=key, label=label, target=target,
                                                          permissions=tuple(permissions)))


# --- permissions per role -------------------------------------------------------------------------------------------

role_grants: Registry[dict[str, list[str]]] = Registry("role grants")


def register_grants(app_label: str, grants: dict[str, list[str]]) -> None:
    """The permissions ("app_label.codename") this app grants to each role, e.g. ``{"administrator": [...]}``.
    ``kehu.org.services.sync_roles`` builds the role groups from every app's grants."""
    role_grants.register(app_label, {role: list(codenames) for role, codenames in grants.items()})


def granted_permissions() -> dict[str, set[str]]:
    """Every role's permissions, united over the apps that declared grants."""
    result: dict[str, set[str]] = {}
    for grants in role_grants.values():
        for role, codenames in grants.items():
            result.setdefault(role, set()).update(codenames)
    return result


# --- merge policy per model referring to a customer -----------------------------------------------------------------

MergePolicyKind = Literal["repoint", "transfer", "recompute"]


@dataclass(frozen=True)
class MergePolicy:
    """What merging customer B into A does with the rows of ``model`` ("app_label.ModelName") that refer to B.

    - ``repoint`` (the default for a model nobody registered): the rows are re-pointed at A by one UPDATE;
    - ``transfer`` (ledgers: points, receivables): the rows stay as they are and ``handler(keep, merge, actor)``
      posts the entries that carry B's balance over to A (B's rows are then removed with B only if the ledger's
      foreign key cascades; a ledger usually protects them);
    - ``recompute`` (summaries derived from other rows): B's rows are deleted and ``handler(keep, merge, actor)``,
      if any, rebuilds A's.
    """

    model: str
    policy: MergePolicyKind = "repoint"
    handler: Callable[..., Any] | None = field(default=None, compare=False)


merge_policies: Registry[MergePolicy] = Registry("merge policies")


def register_merge_policy(model: str, policy: MergePolicyKind, handler: Callable[..., Any] | None = None) -> None:
    if policy == "transfer" and handler is None:
        raise ImproperlyConfigured(f"merge policy of {model}: a transfer needs a handler that posts the entries")
    merge_policies.register(model, MergePolicy(model=model, policy=policy, handler=handler))


def merge_policy_for(model_label: str) -> MergePolicy:
    return merge_policies.get(model_label) or MergePolicy(model=model_label)


# --- home dashboard sections ----------------------------------------------------------------------------------------

HomeLoader = Callable[..., Any]


@dataclass(frozen=True)
class HomeSection:
    """A section of the home dashboard.

    ``loader(user)`` returns the section's data for the signed-in user in a fixed number of queries (``queries``)
    whatever the amount of data (aggregates and a bounded newest-N list, never a query per row), already scoped to
    what the user may see; ``None`` hides the section for this user. ``template`` renders it with ``section``,
    ``data`` and ``request`` (and ``user``, ``perms``) in its context; it shows its own empty state. The section is
    shown to users holding ``permission`` ("app_label.codename"; empty: everyone) and, when ``roles`` is not empty,
    holding one of those roles. ``wide`` sections take the dashboard's full width, the others half of it.
    """

    key: str
    title: Any  # a lazy translation
    order: int
    loader: HomeLoader
    template: str
    permission: str = ""
    roles: frozenset[str] = frozenset()
    wide: bool = False
    queries: int = 1

    def allowed(self, user: Any, roles: frozenset[str] | set[str]) -> bool:
        if self.permission and not user.has_perm(self.permission):
            return False
        return not self.roles or bool(self.roles & set(roles))


home_sections: Registry[HomeSection] = Registry("home sections")


def register_home_section(section: HomeSection) -> HomeSection:
    return home_sections.register(section.key, section)


def home_section_list() -> list[HomeSection]:
    """The registered home sections in their order."""
    return sorted(home_sections.values(), key=lambda section: (section.order, section.key))


# --- demo data -------------------------------------------------------------------------------------------------------
DemoLoader = Callable[..., Any]


@dataclass(frozen=True)
class DemoStep:
    """A module's part of ``kehu demo``.

    ``loader(customers=, users=, seed=)`` writes the module's believable year of data, dated relative to today, for the
    demo customers (``customers``: the written ``Customer`` rows, in plan order; ``users``: staff by user name) in the
    demo's transaction, set-based (bulk writes, never a query per customer). ``label`` names the step in the demo's
    progress lines. Steps run in ``order`` after the customers and transactions are written.
    """

    key: str
    label: Any  # a lazy translation
    order: int
    loader: DemoLoader


demo_steps: Registry[DemoStep] = Registry("demo steps")


def register_demo_step(step: DemoStep) -> DemoStep:
    return demo_steps.register(step.key, step)


def demo_step_list() -> list[DemoStep]:
    """The registered demo steps in their order."""
    return sorted(demo_steps.values(), key=lambda step: (step.order, step.key))
