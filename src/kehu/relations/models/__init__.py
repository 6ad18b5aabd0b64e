"""The models of relationship maintenance, one module per area (contact log, cadences, plans, evaluations, ...).

An area adds its module here and imports its classes below, so that ``from kehu.relations.models import X`` and the
app's migrations find them."""

from .cadences import CadenceRule, CadenceUnit
from .contacts import (
    ContactAttachment,
    ContactChannel,
    ContactRecord,
    ContactRecordQuerySet,
    Direction,
    attachment_path,  # named by migration 0001 (the attachments' upload_to)
)
from .kpis import KpiConfiguration

__all__ = ["ContactAttachment", "ContactChannel", "ContactRecord", "ContactRecordQuerySet", "Direction",
           "KpiConfiguration", "attachment_path"]
from .evaluations import (  # noqa: E402
    MANUAL,
    Evaluation,
    EvaluationIndicator,
    EvaluationScore,
    EvaluationTemplate,
    Recommendation,
)
from .strengthening import OurLevel, Strength, StrengtheningRow  # noqa: E402

__all__ += ["MANUAL", "Evaluation", "EvaluationIndicator", "EvaluationScore", "EvaluationTemplate", "OurLevel",
            "Recommendation", "Strength", "StrengtheningRow"]
from .plans import (  # noqa: E402
    Event,
    EventInvitee,
    EventKind,
    Gift,
    GiftOccasion,
    InvitationStatus,
    MaintenancePlan,
    PlanAction,
    PlanCustomer,
    PlanStatus,
)

__all__ += ["Event", "EventInvitee", "EventKind", "Gift", "GiftOccasion", "InvitationStatus", "MaintenancePlan",
            "PlanAction", "PlanCustomer", "PlanStatus"]
__all__ += ["CadenceRule", "CadenceUnit"]
