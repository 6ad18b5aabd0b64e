"""The models of sales: leads and the pool (``leads``), opportunities, pipelines and stage history
(``opportunities``); web intake forms and assignment routes (``intake``)."""

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
    "OPEN_STATUSES", "TRANSITIONS", "Answer", "AssignmentRoute", "AssignmentRule", "IntakeForm", "IntakeSubmission",
    "consent_version", "DisqualifyReason", "HandOver", "Lead", "LeadContact",
    "LeadEvent", "LeadKind", "LeadQuerySet", "LeadSource", "LeadStatus", "LossReason", "Opportunity",
    "OpportunityLine", "OpportunityQuerySet", "OpportunityStatus", "Pipeline", "Stage", "StageChange", "StageKind",
    "Timing",
]
