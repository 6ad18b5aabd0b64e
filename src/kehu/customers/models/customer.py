"""The customer aggregate: the customer row, its person/organisation profile, tags and the row-level scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core import divisions, industries
from kehu.org.models import Branch

from .choices import (
    BrandAttitude,
    CustomerKind,
    LifecycleStage,
    LifecycleStatus,
    ManagementClass,
    MarketingType,
    RelationshipStage,
)

if TYPE_CHECKING:
    from kehu.org.models import User


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
    # national administrative division codes (kehu.core.divisions); the names above are kept with them for display,
    # search and exports, and filled from the codes by clean()
    province_code = models.CharField(_("province code"), max_length=6, blank=True, default="")
    city_code = models.CharField(_("city code"), max_length=6, blank=True, default="")
    district_code = models.CharField(_("district code"), max_length=6, blank=True, default="")
    industry = models.CharField(_("industry"), max_length=3, blank=True, default="", choices=industries.choices,
                                help_text=_("National industrial classification GB/T 4754-2017."))
    source = models.CharField(_("customer source"), max_length=100, blank=True, default="",
                              help_text=_("Where the customer came from (a campaign, a referral, a trade fair…)."))
    customer_since = models.DateField(_("customer since"), null=True, blank=True,
                                      help_text=_("When the customer relationship began, e.g. the creation date in "
                                                  "the system the customer was moved from."))

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="owned_customers", db_index=False,  # customer_owner_idx
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("home branch"), on_delete=models.PROTECT, related_name="customers",
        db_index=False,  # customer_branch_status_idx leads with branch_id
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
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    custom_attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # history rows are read by customer (``id``) and date only: the indexes simple-history would copy from the
    # customer's own (code, branch, owner) would only slow every write of a history row (imports write a million)
    history = HistoricalRecords(excluded_fields=["name_pinyin", "name_initials", "mobile_last4", "updated_at"],
                                no_db_index=["code", "branch", "owner"])
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
            models.Index(fields=["mobile"], name="customer_mobile_idx"),
            models.Index(fields=["mobile_last4"], name="customer_mobile_last4_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["branch", "lifecycle_status"], name="customer_branch_status_idx"),
            models.Index(fields=["owner"], name="customer_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def tier(self) -> str:
        """The tier under the primary tier scheme ("" before a scoring run has rated the customer)."""
        try:
            return self.primary_tier.tier
        except CustomerTier.DoesNotExist:
            return ""

    @property
    def tier_label(self) -> str:
        """The name of that tier in the user's language ("" without a tier)."""
        try:
            return self.primary_tier.display_label
        except CustomerTier.DoesNotExist:
            return ""

    def clean(self) -> None:
        """Normalise phones and e-mail, derive the relationship stage from share of wallet, check custom attributes."""
        from kehu.core import validators

        from .configuration import CustomAttribute

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
        self._clean_divisions(errors)
        if self.customer_since is not None:
            try:
                validators.validate_past_business_date(self.customer_since)
            except ValidationError as error:
                errors.setdefault("customer_since", []).extend(error.messages)
        if self.share_of_wallet is not None:
            if not 0 <= self.share_of_wallet <= 100:
                message = str(_("Share of wallet is a percentage from 0 to 100."))
                errors.setdefault("share_of_wallet", []).append(message)
            else:
                from ..rules import relationship_stage

                self.relationship_stage = relationship_stage(self.share_of_wallet, self.relationship_stage)
        try:
            self.custom_attributes = CustomAttribute.validate_values(self.custom_attributes or {}, kind=self.kind)
        except ValidationError as error:
            errors.setdefault("custom_attributes", []).extend(error.messages)
        if errors:
            raise ValidationError(errors)

    def _clean_divisions(self, errors: dict[str, list[str]]) -> None:
        """Codes given: checked (known, each within the level above) and the names filled from them. Names given
        without codes (an older API client): the codes found for them, as far as they are recognised."""
        codes = (self.province_code or "", self.city_code or "", self.district_code or "")
        if any(codes):
            problems = divisions.check(*codes)
            for field, message in problems.items():
                errors.setdefault(field, []).append(message)
            if not problems:
                self.province, self.city, self.district = divisions.names(*codes)
        elif self.province or self.city or self.district:
            self.province_code, self.city_code, self.district_code = divisions.resolve(
                self.province, self.city, self.district)

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
    id_number = models.CharField(_("ID number"), max_length=32, blank=True, default="")  # person_id_number_idx
    employer = models.CharField(_("employer"), max_length=200, blank=True, default="")
    position = models.CharField(_("position"), max_length=100, blank=True, default="")
    income_band = models.CharField(_("income band"), max_length=16, choices=IncomeBand.choices, blank=True, default="")
    household = models.CharField(_("household"), max_length=200, blank=True, default="")
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True, default="")
    preferences = models.TextField(_("personality and preferences"), blank=True, default="")

    history = HistoricalRecords(no_db_index=["id_number"])

    class Meta:
        verbose_name = _("person profile")
        verbose_name_plural = _("person profiles")
        # looked up by equality only (imports, duplicates, merge): a plain B-tree, without the ``_like`` twin
        # that ``db_index`` adds on PostgreSQL
        indexes = [models.Index(fields=["id_number"], name="person_id_number_idx")]

    def __str__(self) -> str:
        return str(self.customer)

    def clean(self) -> None:
        """Validate the resident ID number (check digit, birth date and gender against those given) and fill birth
        date and gender from it."""
        from kehu.core import validators

        try:
            validators.validate_birth_date(self.birth_date)
        except ValidationError as error:
            raise ValidationError({"birth_date": error.messages}) from None
        if self.id_number and self.id_type == self.IdType.RESIDENT_ID:
            try:
                self.id_number = validators.validate_resident_id(self.id_number, birth_date=self.birth_date,
                                                                 gender=self.gender)
            except ValidationError as error:
                raise ValidationError({"id_number": error.messages}) from None
            from ..rules import birth_date_and_gender_from_id

            self.birth_date, self.gender = birth_date_and_gender_from_id(
                id_type=self.id_type, id_number=self.id_number, birth_date=self.birth_date, gender=self.gender or "")
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
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True,
                                   default="")  # organisation_credit_code_idx
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

    history = HistoricalRecords(no_db_index=["credit_code"])

    class Meta:
        verbose_name = _("organisation profile")
        verbose_name_plural = _("organisation profiles")
        indexes = [models.Index(fields=["credit_code"], name="organisation_credit_code_idx")]

    def __str__(self) -> str:
        return str(self.customer)

    def clean(self) -> None:
        from kehu.core import validators

        errors: dict[str, list[str]] = {}
        if self.credit_code:
            try:
                self.credit_code = validators.validate_credit_code(self.credit_code)
            except ValidationError as error:
                errors["credit_code"] = error.messages
        try:
            validators.validate_founding_date(self.founded_on)
        except ValidationError as error:
            errors["founded_on"] = error.messages
        if errors:
            raise ValidationError(errors)


class CustomerTier(models.Model):
    """A customer's tier under the primary tier scheme, kept by each scoring run for fast filtering
    (``Customer.objects.filter(primary_tier__tier="A")``).

    A narrow table of its own rather than a column of ``Customer``: a run that moves the tiers of a million customers
    then writes a million two-column rows instead of a new version of a million customer rows, each with its dozen
    indexes (67 s against 3 s on PostgreSQL). No database-level foreign key, for the same reason as the scoring
    tables; Django still cascades deletes.
    """

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, db_constraint=False,
                                    related_name="primary_tier", verbose_name=_("customer"))
    tier = models.CharField(_("tier"), max_length=32, db_index=True)
    label = models.CharField(_("label"), max_length=100, blank=True, default="",
                             help_text=_("The tier's name as the scheme gives it (default names are translated)."))

    class Meta:
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier}"

    @property
    def display_label(self) -> str:
        """The label translated when it is one of the default names (English msgids), else as written."""
        from django.utils.translation import gettext

        return gettext(self.label) if self.label else self.tier
