"""The models of sales: leads and the pool (``leads``), opportunities, pipelines and stage history
(``opportunities``)."""

from .conversion import LeadConversion, Onboarding
from .leads import (
    OPEN_STATUSES,
    TRANSITIONS,
    Answer,
    AssignmentRule,
    DisqualifyReason,
    HandOver,
    Lead,
    LeadContact,
    LeadEvent,
    LeadKind,
    LeadQuerySet,
    LeadSource,
    LeadStatus,
    Timing,
)
from .opportunities import (
    LossReason,
    Opportunity,
    OpportunityLine,
    OpportunityQuerySet,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)

__all__ = [
    "OPEN_STATUSES", "TRANSITIONS", "Answer", "AssignmentRule", "DisqualifyReason", "HandOver", "Lead", "LeadContact",
    "LeadConversion", "LeadEvent", "LeadKind", "LeadQuerySet", "LeadSource", "LeadStatus", "LossReason",
    "Onboarding", "Opportunity", "OpportunityLine", "OpportunityQuerySet", "OpportunityStatus", "Pipeline", "Stage",
    "StageChange", "StageKind", "Timing",
]
