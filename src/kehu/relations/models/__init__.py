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

__all__ = ["CadenceRule", "CadenceUnit", "ContactAttachment", "ContactChannel", "ContactRecord",
           "ContactRecordQuerySet", "Direction", "attachment_path"]
