"""Tickets (工单): inquiries, complaints, suggestions, praise and service requests, their teams, categories,
messages (replies to the customer kept apart from internal notes) and the history of their status."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Branch, User


class TicketType(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    SERVICE_REQUEST = "service_request", _("Service request")


class Channel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("ticket channel", "Phone")
    COUNTER = "counter", _("Counter")
    EMAIL = "email", pgettext_lazy("ticket channel", "E-mail")
    WEB = "web", _("Web")
    SMS = "sms", pgettext_lazy("ticket channel", "SMS")
    WECHAT = "wechat", _("WeChat")


class TicketStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("ticket status", "Received")
    ACCEPTED = "accepted", pgettext_lazy("ticket status", "Accepted")
    INVESTIGATING = "investigating", pgettext_lazy("ticket status", "Investigating")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CONFIRMED = "confirmed", pgettext_lazy("ticket status", "Confirmed with the customer")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")
    REVIEWED = "reviewed", pgettext_lazy("ticket status", "Reviewed")
    MERGED = "merged", pgettext_lazy("ticket status", "Merged into another")


OPEN_STATUSES = (TicketStatus.RECEIVED, TicketStatus.ACCEPTED, TicketStatus.INVESTIGATING)


class Priority(models.IntegerChoices):
    LOW = 1, pgettext_lazy("priority", "Low")
    NORMAL = 2, pgettext_lazy("priority", "Normal")
    HIGH = 3, pgettext_lazy("priority", "High")
    URGENT = 4, pgettext_lazy("priority", "Urgent")


class ServiceTeam(models.Model):
    """A team that answers tickets, in a branch, with a lead (escalations go to them) and an optional address
    whose incoming mail becomes tickets."""

    name = models.CharField(_("name"), max_length=100)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="service_teams"
    )
    email = models.EmailField(_("team address"), blank=True, default="")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketCategory(models.Model):
    """What a ticket is about (billing, delivery, product quality …). ``priority_raise`` lifts the priority the
    customer's tier gives (0 to 2 steps)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    priority_raise = models.PositiveSmallIntegerField(_("raises the priority by"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, user: User, action: str = "view") -> TicketQuerySet:
        """Row scope of tickets, decided here only.

        ``view``: administrators and auditors all; branch managers (supervisors) the tickets of their branches and
        below; service agents and others with the permission the tickets of their teams, those assigned to them and
        those of their branches' customers they created. ``change``: the same minus auditors (read only).
        """
        from kehu.org.roles import Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.has_perm("service.view_ticket"):
            return self.none()
        if action != "view" and (user_is_read_only(user) or not user.has_perm("service.change_ticket")):
            return self.none()
        roles = user_roles(user)
        ids = branch_ids_in_scope(user)
        if ids is None:
            return self
        if roles & {Role.BRANCH_MANAGER, Role.ADMINISTRATOR}:
            return self.filter(Q(branch_id__in=ids) | Q(assignee=user))
        # the user's teams as a subquery: a join through the members made every list DISTINCT (a sort of the rows)
        teams = ServiceTeam.members.through.objects.filter(user_id=user.pk).values("serviceteam_id")
        return self.filter(Q(team_id__in=teams) | Q(assignee=user) | Q(created_by=user))


def ticket_view_scope_sql(user: User, alias: str) -> tuple[str, list[Any]] | None:
    """The condition of ``Ticket.objects.visible_to(user)`` (``view``) in SQL on the ticket table under ``alias``,
    for the hand-written reads of a hot path (the agent's screen): ``("", [])`` when the user sees every ticket, None
    when none. The same rules as ``visible_to`` above, which stays the one definition (tests compare the two)."""
    from django.db import connection

    from kehu.org.roles import Role
    from kehu.org.selectors import branch_ids_in_scope, user_roles

    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.has_perm("service.view_ticket"):
        return None
    ids = branch_ids_in_scope(user)
    if ids is None:
        return "", []
    quote = connection.ops.quote_name
    branches = f"{alias}.branch_id IN ({', '.join(['%s'] * len(ids))}) OR " if ids else ""
    if user_roles(user) & {Role.BRANCH_MANAGER, Role.ADMINISTRATOR}:
        return f"({branches}{alias}.assignee_id = %s)", [*ids, user.pk]
    members = quote(ServiceTeam.members.through._meta.db_table)
    return (f"({alias}.team_id IN (SELECT m.serviceteam_id FROM {members} m WHERE m.user_id = %s) "  # noqa: S608
            f"OR {alias}.assignee_id = %s OR {alias}.created_by_id = %s)", [user.pk, user.pk, user.pk])


class Ticket(models.Model):
    """One ticket. The customer may be unknown (a caller's name and number then). ``branch`` scopes it (the
    customer's branch, else the team's). The SLA fields are filled by ``service.sla`` through the ticket hooks.
    ``merged_into`` is set when a duplicate was merged into another ticket (its status is then ``merged``)."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(_("type"), max_length=16, choices=TicketType.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )  # ticket_customer_idx
    caller_name = models.CharField(_("caller's name"), max_length=100, blank=True, default="")
    caller_phone = models.CharField(_("caller's number"), max_length=20, blank=True, default="")
    caller_email = models.EmailField(_("caller's e-mail"), blank=True, default="")
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.RECEIVED)
    team = models.ForeignKey(
        ServiceTeam,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )  # ticket_team_status_idx
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+", db_index=False
    )  # ticket_branch_status_idx
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=20000, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_tickets",
    )
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [("review_ticket", _("Can review complaints")), ("merge_ticket", _("Can merge tickets"))]
        indexes = [
            models.Index(fields=["customer", "status"], name="ticket_customer_idx"),
            # the open-tickets panel (agent's screen, phone lookup, 360 page): a customer's open tickets in the
            # panel's order, from an index of the open ones only (15% of the rows in the agent bench)
            models.Index(fields=["customer", "-priority", "created_at", "id"], name="ticket_customer_open_idx",
                         condition=Q(status__in=["received", "accepted", "investigating"])),
            models.Index(fields=["branch", "status"], name="ticket_branch_status_idx"),
            models.Index(fields=["team", "status"], name="ticket_team_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status_idx"),
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            models.Index(fields=["caller_phone"], name="ticket_caller_phone_idx", condition=~Q(caller_phone="")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        """The number shown to people and put in e-mail subjects: ``T`` and the id, zero-padded."""
        return f"T{self.pk:07d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketMessage(models.Model):
    """A message on a ticket: a reply to the customer, an internal note (never shown or sent to the customer), or
    the customer's own message (inbound: a call's words, an e-mail). ``message_id`` / ``in_reply_to`` thread
    e-mail."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to the customer")
        NOTE = "note", _("Internal note")
        INBOUND = "inbound", _("From the customer")

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("message"), max_length=50000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    message_id = models.CharField(_("e-mail Message-ID"), max_length=250, blank=True, default="")
    in_reply_to = models.CharField(max_length=250, blank=True, default="")

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="ticket_message_time_idx"),
            models.Index(fields=["message_id"], name="ticket_message_mid_idx", condition=~Q(message_id="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class TicketStatusChange(models.Model):
    """The history of a ticket's status: every transition with who, when and why (append-only)."""

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="status_changes", db_index=False)
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    comment = models.TextField(blank=True, default="", max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket status change")
        verbose_name_plural = _("ticket status changes")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_status_time_idx")]

    def __str__(self) -> str:
        labels = dict(TicketStatus.choices)  # the statuses' names in the request's language
        return f"{labels.get(self.from_status, self.from_status) or '—'} → {labels.get(self.to_status, self.to_status)}"
