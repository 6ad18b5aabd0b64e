"""Web intake (网站线索表单) and assignment routes.

``IntakeForm``: one embeddable public lead form per site or campaign: its public key (in the page's address and as
the API's ``X-Intake-Key``), the origins that may frame it or call the API from a browser, the branch (team) its leads
go to, their campaign and the products offered, and the consent text shown. ``IntakeSubmission``: what one visitor
sent, with the exact consent text shown (and its hash, the text's version), what became of it (a new lead, or added
to the lead or customer it matched; the visitor is never told which) and a hash of the client address.

``AssignmentRoute``: a rule matched before the branch's round-robin: leads interested in one of its products and/or
from its province or city go to its members (round-robin or fewest open leads first, each under the cap); a route
with nobody under the cap falls through to the next, then to the branch's ``AssignmentRule``."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.org.models import Branch


def new_public_key() -> str:
    return secrets.token_urlsafe(18)


def consent_version(text: str) -> str:
    """The version of a consent text: the first 16 hex digits of its SHA-256 (one text, one version)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class IntakeForm(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(_("public key"), max_length=40, unique=True, default=new_public_key,
                                  editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    title = models.CharField(_("title shown"), max_length=100, blank=True, default="")
    intro = models.TextField(_("introduction shown"), max_length=1000, blank=True, default="")
    consent_text = models.TextField(
        _("consent text"), max_length=2000,
        help_text=_("Shown beside the consent box; the exact text is stored with every submission."))
    allowed_origins = models.TextField(
        _("allowed origins"), blank=True, default="",
        help_text=_("One per line, e.g. https://www.example.cn: the sites that may embed the form or call the API. "
                    "Empty: the form cannot be embedded."))
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    campaign = models.CharField(_("campaign"), max_length=100, blank=True, default="")
    products = models.ManyToManyField("purchases.Product", verbose_name=_("products offered"), blank=True,
                                      related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("web intake form")
        verbose_name_plural = _("web intake forms")

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]


class IntakeSubmission(models.Model):
    class Outcome(models.TextChoices):
        CREATED = "created", _("New lead")
        LEAD = "lead", _("Added to a matching lead")
        CUSTOMER = "customer", _("Matches a customer")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")

    id = models.BigAutoField(primary_key=True)
    form = models.ForeignKey(IntakeForm, verbose_name=_("form"), on_delete=models.CASCADE, related_name="submissions",
                             db_index=False)  # intake_submission_form_idx
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    name = models.CharField(_("name"), max_length=200)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    company = models.CharField(_("company"), max_length=200, blank=True, default="")
    province_code = models.CharField(_("province"), max_length=6, blank=True, default="")
    city_code = models.CharField(_("city"), max_length=6, blank=True, default="")
    message = models.TextField(_("message"), max_length=2000, blank=True, default="")
    products = models.JSONField(_("products of interest"), default=list, blank=True)
    consent_text = models.TextField(_("consent text shown"))
    consent_version = models.CharField(_("consent version"), max_length=16)
    consented_at = models.DateTimeField(_("consent given at"))
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    address_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    lead = models.ForeignKey("sales.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="intake_submissions", db_index=False)  # intake_submission_lead_idx
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("web intake submission")
        verbose_name_plural = _("web intake submissions")
        indexes = [models.Index(fields=["form", "-created_at"], name="intake_submission_form_idx"),
                   models.Index(fields=["lead"], name="intake_submission_lead_idx",
                                condition=models.Q(lead__isnull=False))]

    def __str__(self) -> str:
        return f"{self.name} {self.created_at:%Y-%m-%d}"


class AssignmentRoute(models.Model):
    id = models.BigAutoField(primary_key=True)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # sales_route_branch_idx
    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("Lower numbers are tried first."))
    products = models.ManyToManyField("purchases.Product", verbose_name=_("products"), blank=True, related_name="+",
                                      help_text=_("Empty: any product."))
    province_code = models.CharField(_("province code"), max_length=6, blank=True, default="",
                                     help_text=_("Empty: any province."))
    city_code = models.CharField(_("city code"), max_length=6, blank=True, default="",
                                 help_text=_("Empty: any city."))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="+")
    cap = models.PositiveIntegerField(_("open leads per person"), default=50)
    strategy = models.CharField(_("strategy"), max_length=16, default="round_robin",
                                choices=[("round_robin", _("Round-robin")),
                                         ("least_loaded", _("Fewest open leads first"))])
    is_active = models.BooleanField(_("active"), default=True)
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", db_index=False, editable=False)

    class Meta:
        verbose_name = _("assignment route")
        verbose_name_plural = _("assignment routes")
        indexes = [models.Index(fields=["branch", "priority"], name="sales_route_branch_idx")]

    def __str__(self) -> str:
        return self.name
