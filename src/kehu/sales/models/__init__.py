"""The models of sales: leads and the pool (``leads``), opportunities, pipelines and stage history
(``opportunities``); web intake forms and assignment routes (``intake``)."""

from .conversion import LeadConversion, Onboarding
from .intake import AssignmentRoute, IntakeForm, IntakeSubmission, consent_version
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
    "Answer", "AssignmentRoute", "AssignmentRule", "consent_version", "DisqualifyReason", "HandOver", "IntakeForm",
    "IntakeSubmission", "Lead", "LeadContact", "LeadConversion", "LeadEvent", "LeadKind", "LeadQuerySet",
    "LeadSource", "LeadStatus", "LossReason", "Onboarding", "OPEN_STATUSES", "Opportunity", "OpportunityLine",
    "OpportunityQuerySet", "OpportunityStatus", "Pipeline", "Stage", "StageChange", "StageKind", "Timing",
    "TRANSITIONS",
]
