"""The customer information base (客户信息库 / 客户资料卡), split by aggregate; import models from here."""

from .access import PersonalDataAccess
from .activity import Activity
from .choices import (
    BrandAttitude,
    ConsentChannel,
    CustomerKind,
    LifecycleStage,
    LifecycleStatus,
    ManagementClass,
    MarketingType,
    RelationshipStage,
    relationship_stage_for_share,
)
from .configuration import CodeSettings, CustomAttribute
from .customer import Customer, CustomerQuerySet, CustomerTier, OrganisationProfile, PersonProfile, Tag
from .merge import MergeRecord
from .records import Consent, Contact, CustomerRelationship, LifecycleChange, OwnershipTransfer, StatusRecord

__all__ = [
    "Activity", "BrandAttitude", "CodeSettings", "Consent", "ConsentChannel", "Contact", "CustomAttribute", "Customer",
    "CustomerKind", "CustomerQuerySet", "CustomerTier", "CustomerRelationship", "LifecycleChange", "LifecycleStage",
    "LifecycleStatus", "ManagementClass", "MarketingType", "MergeRecord", "OrganisationProfile", "OwnershipTransfer",
    "PersonProfile", "PersonalDataAccess", "RelationshipStage", "StatusRecord", "Tag",
    "relationship_stage_for_share",
]
