"""Leads (销售线索), their contact log and timeline, assignment rules and the shared pool (公海); the staff
hand-over record.

A lead is a prospect, a person or an organisation, not yet a customer. Its owner works it; a lead without an owner
is in the shared pool of its branch, where anyone of the branch may claim it (up to a cap)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Branch, User


class LeadKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class LeadSource(models.TextChoices):
    STORE_VISIT = "store_visit", _("Store visit")
    EVENT = "event", pgettext_lazy("lead source", "Event")
    EXHIBITION = "exhibition", _("Exhibition")
    REFERRAL = "referral", _("Referral")
    PHONE = "phone", pgettext_lazy("lead source", "Phone")
    WEB_FORM = "web_form", _("Web form")
    PURCHASED_LIST = "purchased_list", _("Purchased list")
    PARTNER = "partner", _("Partner")


class LeadStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lead status", "New")
    CONTACTED = "contacted", pgettext_lazy("lead status", "Contacted")
    QUALIFIED = "qualified", pgettext_lazy("lead status", "Qualified")
    CONVERTED = "converted", pgettext_lazy("lead status", "Converted")
    DISQUALIFIED = "disqualified", pgettext_lazy("lead status", "Disqualified")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)

# status → the statuses it may move to (converted and disqualified are final; disqualified may be reopened as new)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    LeadStatus.NEW: (LeadStatus.CONTACTED, LeadStatus.DISQUALIFIED),
    LeadStatus.CONTACTED: (LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED),
    LeadStatus.QUALIFIED: (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED, LeadStatus.CONTACTED),
    LeadStatus.CONVERTED: (),
    LeadStatus.DISQUALIFIED: (LeadStatus.NEW,),
}


class Answer(models.TextChoices):
    """One letter of the MAN rule (money, authority, need): does the prospect have it?"""

    UNKNOWN = "unknown", _("Unknown")
    YES = "yes", _("Yes")
    NO = "no", _("No")


class Timing(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    NOW = "now", _("Ready to buy now")
    MONTH = "month", _("Within a month")
    QUARTER = "quarter", _("Within three months")
    YEAR = "year", _("Within a year")
    LATER = "later", _("Later or not planned")


class DisqualifyReason(models.TextChoices):
    NO_MONEY = "no_money", _("No budget")
    NO_AUTHORITY = "no_authority", _("Not the decision maker")
    NO_NEED = "no_need", _("No need")
    UNREACHABLE = "unreachable", _("Cannot be reached")
    COMPETITOR = "competitor", _("Bought from a competitor")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class LeadQuerySet(models.QuerySet["Lead"]):
    def visible_to(self, user: User, action: str = "view") -> LeadQuerySet:
        """Row scope of leads, decided here only.

        ``view``: administrators and auditors all; branch managers (and other roles with the permission) the leads of
        their branches and below; account managers their own leads and the pool of their branches.
        ``change``: administrators all; branch managers their branches'; account managers their own; auditors none.
        A pooled lead is claimed (``lead_claim``), not changed.
        """
        from kehu.org.roles import Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.has_perm("sales.view_lead"):
            return self.none()
        roles = user_roles(user)
        ids = branch_ids_in_scope(user)
        if action == "view":
            if ids is None:
                return self
            if roles & {Role.BRANCH_MANAGER, Role.ADMINISTRATOR} or not roles & {Role.ACCOUNT_MANAGER}:
                return self.filter(Q(branch_id__in=ids) | Q(owner=user))
            return self.filter(Q(owner=user) | Q(owner__isnull=True, branch_id__in=ids))
        if user_is_read_only(user) or not user.has_perm("sales.change_lead"):
            return self.none()
        if Role.ADMINISTRATOR in roles or user.is_superuser:
            return self
        if Role.BRANCH_MANAGER in roles:
            return self.filter(Q(branch_id__in=ids or []) | Q(owner=user))
        return self.filter(owner=user)


class Lead(models.Model):
    """A prospect (销售线索): who (a person, or an organisation with its credit code), how they came (source,
    campaign), what they want (products), the MAN rule and timing, where it stands (status) and who works it
    (owner; none: in the branch's shared pool). ``mobile`` is E.164, ``email`` lower case, ``credit_code``
    normalised, so duplicates are found by equality on indexed columns. ``version`` detects concurrent edits.
    ``last_contact_at`` (or ``assigned_at`` before any contact) decides when an idle lead returns to the pool."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=16, choices=LeadKind.choices, default=LeadKind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    company = models.CharField(_("company"), max_length=200, blank=True, default="")
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, default="")
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.PHONE)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True, default="")
    products = models.ManyToManyField("purchases.Product", verbose_name=_("products of interest"), blank=True,
                                      related_name="+")
    # where the prospect is (national division codes, kehu.core.divisions): assignment routes match on them
    province_code = models.CharField(_("province"), max_length=6, blank=True, default="")
    city_code = models.CharField(_("city"), max_length=6, blank=True, default="")
    money = models.CharField(_("money"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    authority = models.CharField(_("authority"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    need = models.CharField(_("need"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    man_notes = models.TextField(_("notes on money, authority and need"), blank=True, default="", max_length=2000)
    timing = models.CharField(_("timing"), max_length=10, choices=Timing.choices, default=Timing.UNKNOWN)
    notes = models.TextField(_("notes"), blank=True, default="", max_length=5000)
    status = models.CharField(_("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    disqualify_reason = models.CharField(_("reason"), max_length=16, choices=DisqualifyReason.choices, blank=True,
                                         default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="leads", db_index=False)  # lead_owner_status_idx
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+",
                               db_index=False)  # lead_branch_status_idx
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    # the pool's clock: the last contact or assignment, whichever came later (``services.leads_return_to_pool``)
    worked_at = models.DateTimeField(_("last worked"), null=True, blank=True)
    pooled_at = models.DateTimeField(_("in the pool since"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        permissions = [("assign_lead", _("Can assign leads to others"))]
        indexes = [
            models.Index(fields=["mobile"], name="lead_mobile_idx", condition=~Q(mobile="")),
            models.Index(fields=["email"], name="lead_email_idx", condition=~Q(email="")),
            models.Index(fields=["credit_code"], name="lead_credit_code_idx", condition=~Q(credit_code="")),
            models.Index(fields=["company", "name"], name="lead_company_name_idx", condition=~Q(company="")),
            models.Index(fields=["owner", "status"], name="lead_owner_status_idx"),
            models.Index(fields=["branch", "status"], name="lead_branch_status_idx"),
            models.Index(fields=["status", "worked_at"], name="lead_status_worked_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="disqualified") | ~Q(disqualify_reason=""),
                                   name="lead_disqualified_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None


class LeadContact(models.Model):
    """One contact with a lead (a call, a visit, a message). ``relations.ContactRecord`` cannot point at a lead:
    relations sits below sales and knows no lead. When a lead is converted its contacts can be copied to the
    customer's contact log."""

    class Channel(models.TextChoices):
        PHONE = "phone", pgettext_lazy("contact channel", "Phone call")
        VISIT = "visit", pgettext_lazy("contact channel", "Visit")
        SMS = "sms", pgettext_lazy("contact channel", "SMS")
        EMAIL = "email", pgettext_lazy("contact channel", "E-mail")
        MEETING = "meeting", pgettext_lazy("contact channel", "Meeting")
        WECHAT = "wechat", _("WeChat")

    id = models.BigAutoField(primary_key=True)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="contacts", db_index=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", db_index=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("time"))
    summary = models.TextField(_("summary"), max_length=5000)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lead contact")
        verbose_name_plural = _("lead contacts")
        indexes = [models.Index(fields=["lead", "occurred_at"], name="lead_contact_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class LeadEvent(models.Model):
    """The lead's timeline, append-only: created, contact, status change, assignment, claim, return to the pool,
    attached (a duplicate entered again), hand-over. ``data`` holds what the line shows."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CONTACT = "contact", pgettext_lazy("timeline", "Contact")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        CLAIMED = "claimed", _("Claimed from the pool")
        POOLED = "pooled", _("Returned to the pool")
        ATTACHED = "attached", _("Entered again")
        UPDATED = "updated", _("Changed")

    id = models.BigAutoField(primary_key=True)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        indexes = [models.Index(fields=["lead", "occurred_at"], name="lead_event_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


class AssignmentRule(models.Model):
    """How new leads of a branch are given out: round-robin among its members (default: the branch's account
    managers), or to the member with the fewest open leads (``strategy``), skipping anyone holding ``cap`` open
    leads or more; ``pool_days`` without contact sends a lead back
    to the pool; ``claim_cap`` is how many open leads one may hold when claiming from the pool. ``last_assigned``
    is the round-robin's position (the rule's row is locked while choosing)."""

    id = models.BigAutoField(primary_key=True)
    branch = models.OneToOneField(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True,
                                     related_name="+", help_text=_("Empty: the branch's account managers."))
    cap = models.PositiveIntegerField(_("open leads per person"), default=50)
    pool_days = models.PositiveIntegerField(_("days without contact before returning to the pool"), default=30)
    claim_cap = models.PositiveIntegerField(_("open leads one may hold when claiming"), default=50)
    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin")
        LEAST_LOADED = "least_loaded", _("Fewest open leads first")

    strategy = models.CharField(_("strategy"), max_length=16, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    is_active = models.BooleanField(_("active"), default=True)
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", db_index=False, editable=False)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return str(self.branch)


class HandOver(models.Model):
    """A member of staff leaving: their open leads, open opportunities, customers and open tasks moved to named
    successors in one action (``services.staff_hand_over``). The moved ids are kept so the move can be reviewed
    and undone by hand."""

    id = models.BigAutoField(primary_key=True)
    leaving = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leaving"), on_delete=models.PROTECT,
                                related_name="+")
    leads_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leads to"), on_delete=models.PROTECT,
                                 related_name="+", db_index=False)
    customers_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("customers to"),
                                     on_delete=models.PROTECT, related_name="+", db_index=False)
    tasks_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tasks to"), on_delete=models.PROTECT,
                                 related_name="+", db_index=False)
    reason = models.CharField(_("reason"), max_length=200)
    lead_ids = models.JSONField(default=list)
    customer_ids = models.JSONField(default=list)
    task_ids = models.JSONField(default=list)
    opportunity_ids = models.JSONField(default=list)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")

    def __str__(self) -> str:
        return f"{self.leaving} {self.created_at:%Y-%m-%d}"
