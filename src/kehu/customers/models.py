"""The customer information base (客户信息库): customers, profiles, contacts, status records, consent, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.org.models import Branch

if TYPE_CHECKING:
    from kehu.org.models import User


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class LifecycleStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CURRENT = "current", _("Current")
    LOST = "lost", _("Lost")


class LifecycleStage(models.TextChoices):
    IDENTIFICATION = "identification", _("Identification")
    CULTIVATION = "cultivation", _("Cultivation")
    GROWTH = "growth", _("Growth")
    STABLE = "stable", _("Stable")
    DECLINE = "decline", _("Decline")
    ELIMINATION = "elimination", _("Elimination")


class ManagementClass(models.TextChoices):
    KEY = "key", _("Key customer")
    POTENTIAL = "potential", _("Potential customer")
    REGULAR = "regular", _("Regular customer")
    TEMPORARY = "temporary", _("Temporary customer")


class MarketingType(models.TextChoices):
    ECONOMIC = "economic", _("Economic")
    ETHICAL = "ethical", _("Ethical")
    PERSONALISED = "personalised", _("Personalised")
    CONVENIENCE = "convenience", _("Convenience")


class BrandAttitude(models.TextChoices):
    LOYAL = "loyal", _("Loyal")
    SWITCHING = "switching", _("Brand switching")
    NO_LOYALTY = "none", _("No brand loyalty")


class RelationshipStage(models.TextChoices):
    DEVELOPMENT = "development", _("Development (0%)")
    EARLY = "early", _("Early cooperation (<50%)")
    STABLE = "stable", _("Stable cooperation (50–80%)")
    STRATEGIC = "strategic", _("Strategic cooperation (80–100%)")


def relationship_stage_for_share(share: float | None) -> str:
    """The relationship stage implied by our share of the customer's spending (0–100)."""
    if share is None or share <= 0:
        return RelationshipStage.DEVELOPMENT
    if share < 50:
        return RelationshipStage.EARLY
    if share < 80:
        return RelationshipStage.STABLE
    return RelationshipStage.STRATEGIC


class Tag(models.Model):
    """A free label put on customers (e.g. 'VIP lounge', 'wedding 2026')."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet["Customer"]):
    def visible_to(self, user: User, action: str = "view") -> CustomerQuerySet:
        """Row-level scope, the one place it is decided (like NetBox's ``restrict``).

        ``view``: administrators and auditors see all; everyone else the customers of their branches and below.
        ``change``: administrators all; branch managers their scope; account managers only the customers they own;
        auditors and other roles nothing.
        """
        from kehu.org.roles import OWN_CHANGE_ROLES, SCOPE_CHANGE_ROLES, Role
        from kehu.org.selectors import branch_ids_in_scope, user_is_read_only, user_roles

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        roles = user_roles(user)
        if action == "view":
            if not user.has_perm("customers.view_customer"):
                return self.none()
            ids = branch_ids_in_scope(user)
            return self if ids is None else self.filter(Q(branch_id__in=ids) | Q(owner=user))
        if user_is_read_only(user) or not user.has_perm("customers.change_customer"):
            return self.none()
        if Role.ADMINISTRATOR in roles:
            return self
        if roles & SCOPE_CHANGE_ROLES:
            ids = branch_ids_in_scope(user) or []
            return self.filter(Q(branch_id__in=ids) | Q(owner=user))
        if roles & OWN_CHANGE_ROLES:
            return self.filter(owner=user)
        return self.none()


class Customer(models.Model):
    """A person or an organisation we serve. Kind-specific data lives in PersonProfile / OrganisationProfile.

    Search keys (pinyin, initials, phone suffix) are stored and indexed so search never converts at query time.
    ``version`` is bumped on every update so concurrent edits are detected instead of overwriting each other.
    """

    code = models.CharField(_("customer code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    name_pinyin = models.CharField(max_length=200, editable=False, default="")
    name_initials = models.CharField(max_length=60, editable=False, default="")

    mobile = models.CharField(_("mobile"), max_length=20, blank=True, default="")
    mobile_last4 = models.CharField(max_length=4, editable=False, blank=True, default="")
    phone = models.CharField(_("other phone"), max_length=20, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    province = models.CharField(_("province"), max_length=32, blank=True, default="")
    city = models.CharField(_("city"), max_length=32, blank=True, default="")
    district = models.CharField(_("district"), max_length=32, blank=True, default="")
    address = models.CharField(_("address"), max_length=255, blank=True, default="")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="owned_customers",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("home branch"), on_delete=models.PROTECT, related_name="customers"
    )

    lifecycle_status = models.CharField(
        _("lifecycle status"), max_length=16, choices=LifecycleStatus.choices, default=LifecycleStatus.PROSPECT
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.IDENTIFICATION
    )
    management_class = models.CharField(
        _("management class"), max_length=16, choices=ManagementClass.choices, default=ManagementClass.REGULAR
    )
    marketing_type = models.CharField(
        _("marketing type"), max_length=16, choices=MarketingType.choices, blank=True, default=""
    )
    brand_attitude = models.CharField(
        _("brand attitude"), max_length=16, choices=BrandAttitude.choices, blank=True, default=""
    )
    share_of_wallet = models.DecimalField(
        _("share of wallet (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("Our share of the customer's spending in this category, 0–100."),
    )
    relationship_stage = models.CharField(
        _("relationship stage"), max_length=16, choices=RelationshipStage.choices,
        default=RelationshipStage.DEVELOPMENT,
    )
    tier = models.CharField(
        _("tier"), max_length=32, blank=True, default="", db_index=True, editable=False,
        help_text=_("Tier under the primary tier scheme, kept here by each scoring run for fast filtering."),
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    custom_attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords(excluded_fields=["name_pinyin", "name_initials", "mobile_last4", "updated_at"])
    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("view_personal_data", _("Can reveal personal data (phone and ID numbers)")),
            ("transfer_customer", _("Can transfer customers to another account manager")),
        ]
        # opclasses only apply on PostgreSQL (prefix LIKE under a non-C collation); SQLite ignores them and
        # selectors use range predicates there instead.
        indexes = [
            models.Index(fields=["name_pinyin"], name="customer_pinyin_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_initials"], name="customer_initials_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name"], name="customer_name_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["code"], name="customer_code_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["mobile"], name="customer_mobile_idx"),
            models.Index(fields=["mobile_last4"], name="customer_mobile_last4_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["branch", "lifecycle_status"], name="customer_branch_status_idx"),
            models.Index(fields=["owner"], name="customer_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        """Normalise phones and e-mail, derive the relationship stage from share of wallet, check custom attributes."""
        from kehu.core import validators

        errors: dict[str, list[str]] = {}
        self.name = (self.name or "").strip()
        for field, normaliser in (("mobile", validators.normalize_mobile), ("phone", validators.normalize_phone)):
            value = getattr(self, field)
            if value:
                try:
                    setattr(self, field, normaliser(value))
                except ValidationError as error:
                    errors.setdefault(field, []).extend(error.messages)
        if self.email:
            self.email = self.email.strip().lower()
        if self.share_of_wallet is not None:
            if not 0 <= self.share_of_wallet <= 100:
                message = str(_("Share of wallet is a percentage from 0 to 100."))
                errors.setdefault("share_of_wallet", []).append(message)
            else:
                self.relationship_stage = relationship_stage_for_share(float(self.share_of_wallet))
        try:
            self.custom_attributes = CustomAttribute.validate_values(self.custom_attributes or {}, kind=self.kind)
        except ValidationError as error:
            errors.setdefault("custom_attributes", []).extend(error.messages)
        if errors:
            raise ValidationError(errors)

    @property
    def is_person(self) -> bool:
        return self.kind == CustomerKind.PERSON

    @property
    def is_organisation(self) -> bool:
        return self.kind == CustomerKind.ORGANISATION


class PersonProfile(models.Model):
    """Profile data of a person customer (个人客户资料)."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        HK_MACAO_PERMIT = "hk_macao", _("Mainland travel permit for HK/Macao residents")
        TAIWAN_PERMIT = "taiwan", _("Mainland travel permit for Taiwan residents")
        FOREIGN_PERMANENT = "foreign_permanent", _("Foreign permanent resident ID")
        OTHER = "other", _("Other")

    class IncomeBand(models.TextChoices):
        BELOW_5K = "lt5k", _("Below ¥5,000 a month")
        FROM_5K = "5k_10k", _("¥5,000–10,000 a month")
        FROM_10K = "10k_20k", _("¥10,000–20,000 a month")
        FROM_20K = "20k_50k", _("¥20,000–50,000 a month")
        ABOVE_50K = "gt50k", _("Above ¥50,000 a month")

    class Education(models.TextChoices):
        SECONDARY = "secondary", _("Secondary school or below")
        COLLEGE = "college", _("College")
        BACHELOR = "bachelor", _("Bachelor")
        MASTER = "master", _("Master")
        DOCTORATE = "doctorate", _("Doctorate")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="person", primary_key=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True, default="")
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True, default="", db_index=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True, default="")
    position = models.CharField(_("position"), max_length=100, blank=True, default="")
    income_band = models.CharField(_("income band"), max_length=16, choices=IncomeBand.choices, blank=True, default="")
    household = models.CharField(_("household"), max_length=200, blank=True, default="")
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True, default="")
    preferences = models.TextField(_("personality and preferences"), blank=True, default="")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person profile")
        verbose_name_plural = _("person profiles")

    def __str__(self) -> str:
        return str(self.customer)

    def clean(self) -> None:
        """Validate the resident ID number (check digit, birth date) and fill birth date and gender from it."""
        from kehu.core import validators

        if self.id_number and self.id_type == self.IdType.RESIDENT_ID:
            try:
                self.id_number = validators.validate_resident_id(self.id_number, birth_date=self.birth_date)
            except ValidationError as error:
                raise ValidationError({"id_number": error.messages}) from None
            self.birth_date = self.birth_date or validators.resident_id_birth_date(self.id_number)
            self.gender = self.gender or (validators.resident_id_gender(self.id_number) or "")
        elif self.id_number:
            self.id_number = self.id_number.strip().upper()


class OrganisationProfile(models.Model):
    """Profile data of an organisation customer (单位客户资料)."""

    class Ownership(models.TextChoices):
        STATE = "state", _("State-owned")
        COLLECTIVE = "collective", _("Collective")
        PRIVATE = "private", _("Private")
        FOREIGN = "foreign", _("Foreign-invested")
        JOINT = "joint", _("Joint venture")
        PUBLIC_INSTITUTION = "institution", _("Public institution")
        OTHER = "other", _("Other")

    class BusinessStatus(models.TextChoices):
        OPERATING = "operating", _("Operating")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Licence revoked")
        DEREGISTERED = "deregistered", _("Deregistered")

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="organisation", primary_key=True
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, default="",
                                   db_index=True)
    ownership_type = models.CharField(_("ownership type"), max_length=16, choices=Ownership.choices, blank=True,
                                      default="")
    industry = models.CharField(_("industry"), max_length=100, blank=True, default="")
    main_business = models.CharField(_("main business"), max_length=255, blank=True, default="")
    staff_count = models.PositiveIntegerField(_("staff count"), null=True, blank=True)
    annual_revenue = models.DecimalField(_("annual revenue (¥)"), max_digits=18, decimal_places=2, null=True,
                                         blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True, default="")
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    other_banks_suppliers = models.TextField(_("other banks and suppliers used"), blank=True, default="")
    business_status = models.CharField(_("business status"), max_length=16, choices=BusinessStatus.choices,
                                       default=BusinessStatus.OPERATING)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation profile")
        verbose_name_plural = _("organisation profiles")

    def __str__(self) -> str:
        return str(self.customer)

    def clean(self) -> None:
        from kehu.core import validators

        if self.credit_code:
            try:
                self.credit_code = validators.validate_credit_code(self.credit_code)
            except ValidationError as error:
                raise ValidationError({"credit_code": error.messages}) from None


class Contact(models.Model):
    """A person to talk to at an organisation customer (联系人), with their role."""

    class Role(models.TextChoices):
        LEGAL_REPRESENTATIVE = "legal_rep", _("Legal representative")
        GENERAL_MANAGER = "general_manager", _("General manager")
        FINANCE = "finance", _("Finance")
        PURCHASING = "purchasing", _("Purchasing")
        TECHNICAL = "technical", _("Technical")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OTHER)
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
    """A dated status record (客户状况记录表) of what the customer does and holds with us and competitors."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="status_records")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    main_business = models.CharField(_("main business"), max_length=255, blank=True, default="")
    operating_status = models.CharField(_("operating status"), max_length=255, blank=True, default="")
    holdings_with_us = models.TextField(_("holdings with us"), blank=True, default="")
    holdings_with_competitors = models.TextField(_("holdings with competitors"), blank=True, default="")
    preferred_channel = models.CharField(_("preferred contact channel"), max_length=50, blank=True, default="")
    contact_frequency = models.CharField(_("preferred contact frequency"), max_length=50, blank=True, default="")
    development_potential = models.CharField(_("development potential"), max_length=255, blank=True, default="")
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)

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


class ConsentChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")
    POST = "post", _("Post")


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


class CustomAttribute(models.Model):
    """An administrator-defined customer field; values are kept in ``Customer.custom_attributes`` by ``key``."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(_("key"), max_length=50, unique=True,
                           help_text=_("Letters, digits and underscores; used in imports and the API."))
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=8, choices=Type.choices, default=Type.TEXT)
    choices = models.TextField(_("choices"), blank=True, default="", help_text=_("One choice per line."))
    required = models.BooleanField(_("required"), default=False)
    applies_to = models.CharField(_("applies to"), max_length=16, blank=True, default="",
                                  choices=CustomerKind.choices, help_text=_("Empty: both kinds."))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("custom attribute")
        verbose_name_plural = _("custom attributes")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean_value(self, raw: object) -> object:
        """Convert a raw value (from a form, file or JSON) to the stored JSON value, or raise ValidationError."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if self.type == self.Type.NUMBER:
            try:
                number = Decimal(str(raw).strip().replace(",", ""))
            except InvalidOperation:
                raise ValidationError(_("%(label)s must be a number.") % {"label": self.label}) from None
            if not number.is_finite():
                raise ValidationError(_("%(label)s must be a number.") % {"label": self.label})
            return int(number) if number == number.to_integral_value() else float(number)
        if self.type == self.Type.DATE:
            if isinstance(raw, dt.date):
                return raw.isoformat()
            try:
                return dt.date.fromisoformat(str(raw).strip()[:10]).isoformat()
            except ValueError:
                raise ValidationError(
                    _("%(label)s must be a date like 2024-03-15.") % {"label": self.label}
                ) from None
        if self.type == self.Type.CHOICE:
            text = str(raw).strip()
            if text not in self.choice_list:
                raise ValidationError(
                    _("%(label)s must be one of: %(choices)s.")
                    % {"label": self.label, "choices": ", ".join(self.choice_list)}
                )
            return text
        return str(raw).strip()[:1000]

    @classmethod
    def validate_values(cls, values: dict, *, kind: str) -> dict:
        """Validate a dict of custom attribute values against the active definitions; unknown keys are rejected."""
        definitions = {
            a.key: a for a in cls.objects.filter(is_active=True) if not a.applies_to or a.applies_to == kind
        }
        if not isinstance(values, dict):
            raise ValidationError(_("Custom attributes must be a mapping of key to value."))
        messages: list[str] = []
        cleaned: dict[str, object] = {}
        for key, raw in values.items():
            if key not in definitions:
                messages.append(str(_("Unknown custom attribute “%(key)s”.") % {"key": key}))
                continue
            try:
                value = definitions[key].clean_value(raw)
            except ValidationError as error:
                messages.extend(error.messages)
                continue
            if value is not None:
                cleaned[key] = value
        for key, definition in definitions.items():
            if definition.required and key not in cleaned:
                messages.append(str(_("%(label)s is required.") % {"label": definition.label}))
        if messages:
            raise ValidationError(messages)
        return cleaned


class CodeSettings(models.Model):
    """The pattern customer codes are generated from, and the counter (one row).

    Placeholders: ``{seq}`` (with a format such as ``{seq:08d}``), ``{year}``, ``{month}``, ``{branch}`` (branch code),
    ``{kind}`` (P or O).
    """

    pattern = models.CharField(_("code pattern"), max_length=60, default="KH{seq:08d}")
    next_number = models.PositiveBigIntegerField(_("next number"), default=1)

    class Meta:
        verbose_name = _("customer code settings")
        verbose_name_plural = _("customer code settings")

    def __str__(self) -> str:
        return self.pattern


class PersonalDataAccess(models.Model):
    """Access log of personal data (PIPL art. 51–56): every reveal of a masked value and every export."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Reveal")
        EXPORT = "export", _("Export")
        LOOKUP = "lookup", _("Lookup")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="personal_data_accesses")
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    fields = models.CharField(_("fields"), max_length=200)
    reason = models.CharField(_("reason"), max_length=255)
    accessed_at = models.DateTimeField(_("accessed at"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-accessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.customer_id}"
