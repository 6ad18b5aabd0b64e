"""The work machinery's registries: task kinds, approval kinds and notification kinds.

A module registers its kinds in its ``AppConfig.ready()`` (as with ``kehu.core.registry``); ``work`` reads them and
imports no module. Registering costs no query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kehu.core.registry import Registry


# --- task kinds ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskKind:
    """A kind of task (call, visit, ticket action, credit review...) and, when completing such a task writes a
    contact record, the contact channel it is (empty: the person completing it chooses)."""

    key: str
    label: Any
    contact_channel: str = ""


task_kinds: Registry[TaskKind] = Registry("task kinds")


def register_task_kind(kind: TaskKind) -> TaskKind:
    return task_kinds.register(kind.key, kind)


def task_kind_label(key: str) -> str:
    kind = task_kinds.get(key)
    return str(kind.label) if kind else key


def task_kind_choices() -> list[tuple[str, str]]:
    return [(key, str(kind.label)) for key, kind in task_kinds.items()]


# --- approval kinds --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApprovalKind:
    """What can be submitted for approval (a maintenance plan, a campaign, a credit line, a compensation).

    ``default_authority`` is the authority of each role when no ``work.ApprovalAuthority`` row says otherwise:
    ``{role: max amount}``, ``None`` meaning no limit; a role not named may not approve this kind. ``on_decided``
    (``approval, action``) is called in the decision's transaction so that the module updates its record (the plan
    becomes approved or rejected); ``url`` links the approvals inbox and the approval's page to the subject's page:
    a callable ``url(approval) -> str`` or a pattern such as ``"/loyalty/adjustments/{subject_id}/"`` (``{pk}``,
    ``{customer_id}`` too); see ``Approval.subject_url``.
    """

    key: str
    label: Any
    default_authority: dict[str, Decimal | None] = field(default_factory=dict)
    on_decided: Callable[..., Any] | None = field(default=None, compare=False)
    url: Callable[[Any], str] | str | None = field(default=None, compare=False)


approval_kinds: Registry[ApprovalKind] = Registry("approval kinds")


def register_approval_kind(kind: ApprovalKind) -> ApprovalKind:
    return approval_kinds.register(kind.key, kind)


# --- notification kinds ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotificationKind:
    """A kind of inbox message, which users may also choose to receive by e-mail."""

    key: str
    label: Any
    email_by_default: bool = False


notification_kinds: Registry[NotificationKind] = Registry("notification kinds")


def register_notification_kind(kind: NotificationKind) -> NotificationKind:
    return notification_kinds.register(kind.key, kind)


# --- what completing a task records ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompletionRecorder:
    """Something a module writes when a task is completed with an outcome: ``relations`` writes a contact record.

    ``channel_choices()`` lists how the contact was made (the completion form offers them); ``record(task=, actor=,
    outcome=, channel=, satisfaction=)`` runs in the completion's transaction and may return the record it wrote.
    """

    key: str
    channel_choices: Callable[[], list[tuple[str, str]]]
    record: Callable[..., Any] = field(compare=False)


completion_recorders: Registry[CompletionRecorder] = Registry("task completion recorders")


def register_completion_recorder(recorder: CompletionRecorder) -> CompletionRecorder:
    return completion_recorders.register(recorder.key, recorder)


def completion_channel_choices() -> list[tuple[str, str]]:
    choices: list[tuple[str, str]] = []
    for recorder in completion_recorders.values():
        choices.extend(recorder.channel_choices())
    return choices
