"""Choice lists of the customer information base (the classifications users filter on)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class ConsentChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")
    POST = "post", _("Post")
