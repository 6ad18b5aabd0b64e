"""Import of the contact log (``kehu import contacts-log FILE`` and the wizard), through the imports engine: the same
mapping, preview, modes, row errors and error report as the customer import.

Each row is one contact of a customer found by its code among those the importing user may log contacts for.
Idempotency: a row is identified by its reference column (外部编号) or, without one, by ``h:`` and a SHA-1 of the
customer code, the time (UTC), the channel and the summary, so importing the same file twice stores each contact
once. A next step with a due date becomes a task of the contact's staff member, as in the form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.imports.fields import (
    FieldError,
    FieldSpec,
    choice_parser,
    parse_business_datetime,
    parse_code,
    parse_count,
    parse_date,
    text_parser,
)
from kehu.imports.targets.base import ChunkOutcome, Prepared, Problem, RowOutcome, Target

from .models import ContactChannel, ContactRecord, Direction

HEADERS: dict[str, tuple[str, ...]] = {
    "customer_code": ("客户编号", "客户代码", "客户号", "customer code", "customer"),
    "occurred_at": ("联系时间", "时间", "日期", "联系日期", "time", "date", "occurred at"),
    "channel": ("联系方式", "方式", "渠道", "channel", "type"),
    "direction": ("方向", "呼入呼出", "direction"),
    "staff": ("员工", "联系人员", "客户经理", "经办人", "staff", "username"),
    "duration_minutes": ("时长", "时长分钟", "通话时长", "duration", "minutes"),
    "summary": ("摘要", "内容", "联系内容", "沟通内容", "summary", "notes"),
    "feedback": ("客户反馈", "反馈", "feedback"),
    "satisfaction": ("满意度", "satisfaction"),
    "next_step": ("下一步", "后续行动", "next step"),
    "next_step_due": ("下一步日期", "跟进日期", "next step due", "follow-up date"),
    "external_ref": ("外部编号", "记录编号", "参考号", "reference", "external ref"),
}


# spellings of the channels and directions found in ledgers, beside the labels in both languages
CHANNEL_ALIASES = {
    "phone": ("电话", "电话联系", "通话", "打电话", "来电", "去电", "call", "telephone"),
    "visit": ("拜访", "上门", "上门拜访", "走访", "面访"),
    "sms": ("短信", "短消息", "text", "message"),
    "email": ("邮件", "电子邮件", "邮箱", "mail"),
    "letter": ("信函", "信件", "明信片", "寄信", "postcard", "letter"),
    "meeting": ("会议", "会面", "面谈", "座谈"),
    "event": ("活动", "联谊会", "客户俱乐部", "沙龙"),
    "gift": ("礼品", "送礼", "赠礼", "礼物"),
}
DIRECTION_ALIASES = {"outbound": ("呼出", "去电", "主动", "出", "out"),
                     "inbound": ("呼入", "来电", "来访", "被动", "入", "in")}


def _choice(field: str, choices: Any, aliases: dict[str, tuple[str, ...]], *, blank: str) -> Any:
    from kehu.imports.fields import normalise_header

    fallback = choice_parser(field, choices, blank=blank)
    lookup = {normalise_header(spelling): value for value, spellings in aliases.items() for spelling in spellings}

    def parse(raw: Any) -> Any:
        text = raw.strip() if isinstance(raw, str) else raw
        found = lookup.get(normalise_header(text)) if isinstance(text, str) and text else None
        return found or fallback(raw)

    return parse


def _satisfaction(raw: Any) -> int | None:
    value = parse_count(raw)
    if value is not None and not 1 <= value <= 5:
        raise FieldError(_("Give a satisfaction from 1 to 5."))
    return value


def _duration(raw: Any) -> int | None:
    value = parse_count(raw)
    if value is not None and value > 24 * 60:
        raise FieldError(_("At most 1,440 minutes (a day)."))
    return value


def _past_time(raw: Any) -> dt.datetime | None:
    moment = parse_business_datetime(raw)
    if moment is not None and moment > timezone.now() + dt.timedelta(hours=1):
        raise FieldError(_("A contact cannot be in the future."))
    return moment


def _due(raw: Any) -> dt.date | None:
    from kehu.core.validators import validate_business_date

    day = parse_date(raw)
    if day is not None:
        try:
            validate_business_date(day)
        except Exception as error:  # noqa: BLE001 - a Django ValidationError, reported as the cell's problem
            raise FieldError(" ".join(getattr(error, "messages", [str(error)]))) from None
    return day


def _label(name: str) -> Any:
    return getattr(ContactRecord._meta.get_field(name), "verbose_name", name)


class ContactLogTarget(Target):
    """Contacts (联系记录) of customers found by customer code."""

    name = "contacts-log"
    keys = ("code",)
    key_fields = {"code": "customer_code"}
    lookup_tables = ("relations_contactrecord",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from kehu.org.selectors import user_is_read_only

        self.may_add = self.actor is None or (self.actor.has_perm("relations.add_contactrecord")
                                              and not user_is_read_only(self.actor))

    def field_specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("customer_code", _("customer code"), HEADERS["customer_code"], parse_code, required=True),
            FieldSpec("occurred_at", _label("occurred_at"), HEADERS["occurred_at"], _past_time, required=True),
            FieldSpec("channel", _label("channel"), HEADERS["channel"],
                      _choice("contact_channel", ContactChannel.choices, CHANNEL_ALIASES, blank=""), required=True),
            FieldSpec("direction", _label("direction"), HEADERS["direction"],
                      _choice("contact_direction", Direction.choices, DIRECTION_ALIASES,
                              blank=Direction.OUTBOUND.value)),
            FieldSpec("staff", _label("staff"), HEADERS["staff"], text_parser(150)),
            FieldSpec("duration_minutes", _label("duration_minutes"), HEADERS["duration_minutes"], _duration),
            FieldSpec("summary", _label("summary"), HEADERS["summary"], text_parser(5000), required=True),
            FieldSpec("feedback", _label("feedback"), HEADERS["feedback"], text_parser(5000)),
            FieldSpec("satisfaction", _label("satisfaction"), HEADERS["satisfaction"], _satisfaction),
            FieldSpec("next_step", _label("next_step"), HEADERS["next_step"], text_parser(200)),
            FieldSpec("next_step_due", _label("next_step_due"), HEADERS["next_step_due"], _due),
            FieldSpec("external_ref", _label("external_ref"), HEADERS["external_ref"], text_parser(64)),
        ]

    def mapping_problems(self) -> list[str]:
        problems = []
        for name in ("customer_code", "occurred_at", "channel", "summary"):
            if name not in self.mapped_names:
                problems.append(_("The column %(field)s is required.") % {"field": self.specs[name].label})
        if not self.may_add:
            problems.append(_("You do not have permission to import contacts."))
        return problems

    def key_value(self, data: dict[str, Any]) -> Any:
        if data.get("external_ref"):
            return data["external_ref"]
        if not (data.get("customer_code") and data.get("occurred_at") and data.get("channel")):
            return None
        moment = data["occurred_at"].astimezone(dt.UTC).isoformat()
        text = "\x1f".join([data["customer_code"], moment, data["channel"], data.get("summary") or ""])
        return "h:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    def check_row(self, data: dict[str, Any], problems: list[Problem]) -> None:
        if problems:
            return
        for name, message in (("customer_code", _("Say whose contact this is.")),
                              ("occurred_at", _("Say when the contact was.")),
                              ("channel", _("Say how the contact was made.")),
                              ("summary", _("A summary is required."))):
            if not data.get(name):
                problems.append((self.column_label(name), "", message))
        if data.get("next_step_due") and not data.get("next_step"):
            problems.append((self.column_label("next_step"), "", _("Say what the next step is.")))

    def apply(self, prepared: list[Prepared], *, write: bool, preview: bool = False,
              defer: bool = False) -> ChunkOutcome:
        from kehu.customers.models import Customer
        from kehu.org.models import User
        from kehu.org.selectors import staff_list
        from kehu.work.models import Task

        from .selectors import customers_for_logging
        from .services import _next_kind, contact_bulk_create

        outcome = ChunkOutcome()
        parsed: list[tuple[int, dict[str, Any], Any]] = []
        first_in_chunk: dict[str, int] = {}
        for row, data, problems in prepared:
            key = self.key_value(data) if not problems else None
            if key is not None:
                first = self.seen.get(key) or first_in_chunk.get(key)
                if first is not None:
                    problems.append((self.column_label("external_ref" if data.get("external_ref") else "summary"),
                                     data.get("external_ref") or data.get("summary") or "",
                                     _("Duplicate of row %(row)d: the same contact appears twice in the file.")
                                     % {"row": first}))
                else:
                    first_in_chunk[key] = row
            if problems:
                outcome.fail(row, problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))
                continue
            parsed.append((row, data, key))
        if not parsed:
            return outcome
        codes = list({data["customer_code"] for _row, data, _key in parsed})
        visible = Customer.objects.all() if self.actor is None else Customer.objects.visible_to(self.actor)
        found = dict(visible.filter(code__in=codes).values_list("code", "pk"))
        branches = dict(Customer.objects.filter(pk__in=list(found.values())).values_list("pk", "branch_id"))
        loggable = set(found.values()) if self.actor is None else set(
            customers_for_logging(user=self.actor).filter(pk__in=list(found.values())).values_list("pk", flat=True))
        names = list({data["staff"] for _row, data, _key in parsed if data.get("staff")})
        staff_pool = User.objects.filter(is_active=True) if self.actor is None else staff_list(user=self.actor)
        staff = {user.username: user for user in staff_pool.filter(username__in=names)} if names else {}
        stored = set(ContactRecord.objects.filter(external_ref__in=[key for _r, _d, key in parsed])
                     .values_list("external_ref", flat=True))
        now = timezone.now()
        records: list[ContactRecord] = []
        next_steps: list[tuple[ContactRecord, dict[str, Any]]] = []
        for row, data, key in parsed:
            row_problems: list[Problem] = []
            code = data["customer_code"]
            customer_id = found.get(code)
            person = staff.get(data["staff"]) if data.get("staff") else self.actor
            if customer_id is None:
                row_problems.append((self.column_label("customer_code"), code,
                                     _("Unknown customer “%(value)s”.") % {"value": code}))
            elif customer_id not in loggable:
                row_problems.append((self.column_label("customer_code"), code,
                                     _("You may not log contacts for this customer.")))
            if data.get("staff") and person is None:
                row_problems.append((self.column_label("staff"), data["staff"],
                                     _("Unknown member of staff “%(value)s” (use the user name).")
                                     % {"value": data["staff"]}))
            if row_problems:
                outcome.fail(row, row_problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), row_problems))
                continue
            assert customer_id is not None
            self.seen.setdefault(key, row)
            if key in stored:
                outcome.unchanged += 1
                if preview:
                    outcome.rows.append(RowOutcome(row, "unchanged", self._display(data)))
                continue
            record = ContactRecord(
                customer_id=customer_id, branch_id=branches.get(customer_id), staff=person,
                channel=data["channel"], direction=data.get("direction") or Direction.OUTBOUND,
                occurred_at=data["occurred_at"], duration_minutes=data.get("duration_minutes"),
                summary=data["summary"], feedback=data.get("feedback") or "", satisfaction=data.get("satisfaction"),
                next_step=data.get("next_step") or "", next_step_due=data.get("next_step_due"), external_ref=key,
                created_by=self.actor, created_at=now,
            )
            records.append(record)
            if record.next_step and record.next_step_due:
                next_steps.append((record, data))
            outcome.created += 1
            if preview:
                outcome.rows.append(RowOutcome(row, "created", self._display(data)))
        if write and records:
            from kehu.work.services import task_bulk_create

            contact_bulk_create(records=records)
            source_type = ContentType.objects.get_for_model(ContactRecord)
            tasks = [Task(kind=_next_kind(record.channel), title=record.next_step, customer_id=record.customer_id,
                          branch_id=record.branch_id, owner=record.staff or self.actor, created_by=self.actor,
                          due_date=record.next_step_due, source_type=source_type, source_id=record.pk,  # type: ignore[misc]
                          created_at=now) for record, _data in next_steps if (record.staff or self.actor)]
            if tasks:
                task_bulk_create(tasks=tasks)
                for task in tasks:
                    ContactRecord.objects.filter(pk=task.source_id).update(next_task=task)  # type: ignore[misc]
        return outcome

    def _display(self, data: dict[str, Any]) -> dict[str, str]:
        shown = {}
        for _index, spec in self.mapped:
            value = data.get(spec.name)
            if spec.name == "channel":
                value = dict(ContactChannel.choices).get(value or "", value)
            elif spec.name == "direction":
                value = dict(Direction.choices).get(value or "", value)
            shown[str(spec.label)] = "" if value is None else str(value)
        return shown
