"""What happens around a customer: contacts, status records, lifecycle changes, transfers, consent, relationships."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kehu.org.models import Branch

from .choices import ConsentChannel, LifecycleStage, LifecycleStatus
from .customer import Customer


class Contact(models.Model):
    """A person to talk to about a customer (联系人): at an organisation, with their role there; for a person, with
    their relation to them (spouse, assistant, guardian). :data:`PERSON_ROLES` and :data:`ORGANISATION_ROLES` say
    which roles fit which kind of customer (the services check it)."""

    class Role(models.TextChoices):
        LEGAL_REPRESENTATIVE = "legal_rep", _("Legal representative")
        GENERAL_MANAGER = "general_manager", _("General manager")
        FINANCE = "finance", _("Finance")
        PURCHASING = "purchasing", _("Purchasing")
        TECHNICAL = "technical", _("Technical")
        SPOUSE = "spouse", _("Spouse")
        ASSISTANT = "assistant", _("Assistant")
        GUARDIAN = "guardian", _("Guardian")
        OTHER = "other", _("Other")

    PERSON_ROLES = (Role.SPOUSE, Role.ASSISTANT, Role.GUARDIAN, Role.OTHER)
    ORGANISATION_ROLES = (Role.LEGAL_REPRESENTATIVE, Role.GENERAL_MANAGER, Role.FINANCE, Role.PURCHASING,
                          Role.TECHNICAL, Role.ASSISTANT, Role.OTHER)

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role or relation"), max_length=20, choices=Role.choices, default=Role.OTHER)
    title = models.CharField(_("title"), max_length=100, blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, default="", db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def roles_for(cls, kind: str) -> tuple[str, ...]:
        """The roles a contact of a customer of this kind may have."""
        return tuple(cls.PERSON_ROLES if kind == "person" else cls.ORGANISATION_ROLES)

    def clean(self) -> None:
        from kehu.core import validators

        errors: dict[str, list[str]] = {}
        for field, normaliser in (("mobile", validators.normalize_mobile), ("phone", validators.normalize_phone)):
            value = getattr(self, field)
            if value:
                try:
                    setattr(self, field, normaliser(value))
                except ValidationError as error:
                    errors[field] = error.messages
        if errors:
            raise ValidationError(errors)


class StatusRecord(models.Model):
    """A dated status record (客户状况记录表) of what the customer does and holds with us and competitors.

    Preferred channel, contact frequency and development potential are choices (they were free text: the data
    migration kept the texts it could not map in ``notes``)."""

    class Channel(models.TextChoices):
        PHONE = "phone", pgettext_lazy("contact channel", "Phone call")
        SMS = "sms", pgettext_lazy("contact channel", "SMS")
        WECHAT = "wechat", pgettext_lazy("contact channel", "WeChat")
        EMAIL = "email", pgettext_lazy("contact channel", "Email")
        VISIT = "visit", pgettext_lazy("contact channel", "Visit")
        STORE = "store", pgettext_lazy("contact channel", "In store")
        POST = "post", pgettext_lazy("contact channel", "Post")
        OTHER = "other", pgettext_lazy("contact channel", "Other")

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "fortnightly", _("Every two weeks")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half_yearly", _("Every six months")
        YEARLY = "yearly", _("Yearly")
        ON_DEMAND = "on_demand", _("Only when needed")

    class Potential(models.TextChoices):
        HIGH = "high", pgettext_lazy("development potential", "High")
        MEDIUM = "medium", pgettext_lazy("development potential", "Medium")
        LOW = "low", pgettext_lazy("development potential", "Low")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="status_records")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    main_business = models.CharField(_("main business"), max_length=255, blank=True, default="")
    operating_status = models.CharField(_("operating status"), max_length=255, blank=True, default="")
    holdings_with_us = models.TextField(_("holdings with us"), blank=True, default="")
    holdings_with_competitors = models.TextField(_("holdings with competitors"), blank=True, default="")
    preferred_channel = models.CharField(_("preferred contact channel"), max_length=16, blank=True, default="",
                                         choices=Channel.choices)
    contact_frequency = models.CharField(_("preferred contact frequency"), max_length=16, blank=True, default="",
                                         choices=Frequency.choices)
    development_potential = models.CharField(_("development potential"), max_length=16, blank=True, default="",
                                             choices=Potential.choices)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        verbose_name = _("status record")
        verbose_name_plural = _("status records")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.recorded_at:%Y-%m-%d}"


class LifecycleChange(models.Model):
    """A change of lifecycle status or stage, with its date and reason."""

    class Field(models.TextChoices):
        STATUS = "status", _("Lifecycle status")
        STAGE = "stage", _("Lifecycle stage")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="lifecycle_changes")
    field = models.CharField(max_length=8, choices=Field.choices)
    old_value = models.CharField(max_length=16, blank=True, default="")
    new_value = models.CharField(max_length=16)
    reason = models.CharField(_("reason"), max_length=255, blank=True, default="")
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.old_value} → {self.new_value}"

    def label(self, value: str) -> str:
        choices = LifecycleStatus if self.field == self.Field.STATUS else LifecycleStage
        return str(dict(choices.choices).get(value, value))


class OwnershipTransfer(models.Model):
    """One customer moved from one account manager (and branch) to another; ``batch`` groups a bulk transfer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ownership_transfers")
    batch = models.CharField(max_length=32, db_index=True)
    from_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_branch = models.ForeignKey(Branch, null=True, on_delete=models.SET_NULL, related_name="+")
    to_branch = models.ForeignKey(Branch, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=255)
    transferred_at = models.DateTimeField(auto_now_add=True)
    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                       related_name="+")

    class Meta:
        verbose_name = _("ownership transfer")
        verbose_name_plural = _("ownership transfers")
        ordering = ["-transferred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_owner_id} → {self.to_owner_id}"


class Consent(models.Model):
    """An append-only consent event per channel; the newest event of a channel is the customer's current choice."""

    class Source(models.TextChoices):
        FORM = "form", _("Signed form")
        WEB = "web", _("Web / app")
        PHONE = "phone", _("Phone call")
        STORE = "store", _("In store")
        IMPORT = "import", _("Import")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=8, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.OTHER)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True, default="")
    notice_version = models.CharField(_("notice version"), max_length=32, blank=True, default="")
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "-recorded_at"], name="consent_current_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {'+' if self.granted else '-'}"

    def clean(self) -> None:
        """A consent was given at a real time: from 1900 up to today (``core.validators``)."""
        from kehu.core.validators import validate_past_business_date

        try:
            validate_past_business_date(self.recorded_at)
        except ValidationError as error:
            raise ValidationError({"recorded_at": error.messages}) from None


class CustomerRelationship(models.Model):
    """A link between two customers: who referred whom, family, or a person's employer."""

    class Kind(models.TextChoices):
        REFERRED = "referred", _("Referred")
        FAMILY = "family", _("Family")
        SPOUSE = "spouse", _("Spouse")
        EMPLOYER = "employer", _("Works for")
        OTHER = "other", _("Other")

    from_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relationships_out")
    to_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relationships_in")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    notes = models.CharField(_("notes"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(fields=["from_customer", "to_customer", "kind"], name="unique_relationship"),
        ]

    def __str__(self) -> str:
        return f"{self.from_customer_id} {self.kind} {self.to_customer_id}"
