"""Import of leads (``kehu import leads FILE`` and the wizard), through the imports engine, with the duplicate matching
of the form and the API: a row whose mobile, e-mail or credit code is already a customer's or an open lead's (or a
row earlier in the file) is not imported; its error names the match ("customer #12", "lead #34"), so a purchased
list never creates a second lead for someone already being worked. Rows are looked up per chunk with ``IN`` lists
on the indexed columns, one query per column, and written in one ``COPY`` per table (leads, their timeline rows, in
the importer's branch; a seller's import is theirs, anyone else's goes to the branch's pool)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.imports.fields import (
    FieldSpec,
    choice_parser,
    parse_credit_code,
    parse_email,
    parse_mobile,
    text_parser,
)
from kehu.imports.targets.base import ChunkOutcome, Prepared, Problem, RowOutcome, Target

from .models import OPEN_STATUSES, Lead, LeadEvent, LeadKind, LeadSource

HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名称", "客户名称", "联系人", "name"),
    "mobile": ("手机", "手机号", "手机号码", "mobile", "phone"),
    "email": ("邮箱", "电子邮件", "email", "e-mail"),
    "company": ("单位", "公司", "公司名称", "company"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit code"),
    "source": ("来源", "线索来源", "source"),
    "campaign": ("活动", "营销活动", "campaign"),
    "notes": ("备注", "说明", "notes"),
}
IDENTIFIERS = ("mobile", "email", "credit_code")


def _label(name: str) -> Any:
    return getattr(Lead._meta.get_field(name), "verbose_name", name)


def _insert(model: type[Lead] | type[LeadEvent], rows: list[dict[str, Any]], now: Any) -> list[int]:
    """Write new rows (each a dict of field attribute names → values; the other columns take the model's defaults,
    ``auto_now`` ones ``now``) with their ids allocated first, in one ``COPY`` on PostgreSQL (``executemany`` on
    SQLite): :mod:`kehu.core.bulkio`, the customers' import's writer, instead of a model instance per row and
    ``bulk_create``'s preparation of every value. Returns the ids, in the order of ``rows``."""
    from kehu.core.bulkio.rows import allocate_ids, insert_rows

    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    template = model()
    defaults = [now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
                else getattr(template, field.attname) for field in fields]
    names = [field.attname for field in fields]
    ids = allocate_ids(model, len(rows))
    insert_rows(model, [model._meta.pk.column, *(field.column for field in fields)],
                [(pk, *(row.get(name, default) for name, default in zip(names, defaults, strict=True)))
                 for pk, row in zip(ids, rows, strict=True)])
    return ids


class LeadTarget(Target):
    """Leads (销售线索), each matched against customers and open leads before it is created."""

    name = "leads"
    keys = ("mobile",)
    key_fields = {"mobile": "mobile"}
    # the tables the import grows, analysed on the way (customers are only read: their statistics stand)
    lookup_tables = ("sales_lead",)
    lookup_columns = {"sales_lead": ("mobile", "email", "credit_code", "status")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from .selectors import may_work_leads

        self.may_add = self.actor is None or (may_work_leads(self.actor) and self.actor.has_perm("sales.add_lead"))

    def field_specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("name", _label("name"), HEADERS["name"], text_parser(200), required=True),
            FieldSpec("mobile", _label("mobile"), HEADERS["mobile"], parse_mobile),
            FieldSpec("email", _label("email"), HEADERS["email"], parse_email),
            FieldSpec("company", _label("company"), HEADERS["company"], text_parser(200)),
            FieldSpec("credit_code", _label("credit_code"), HEADERS["credit_code"], parse_credit_code),
            FieldSpec("source", _label("source"), HEADERS["source"],
                      choice_parser("lead_source", LeadSource.choices, blank=LeadSource.PURCHASED_LIST.value)),
            FieldSpec("campaign", _label("campaign"), HEADERS["campaign"], text_parser(100)),
            FieldSpec("notes", _label("notes"), HEADERS["notes"], text_parser(5000)),
        ]

    def mapping_problems(self) -> list[str]:
        problems = []
        if "name" not in self.mapped_names:
            problems.append(_("The column %(field)s is required.") % {"field": self.specs["name"].label})
        if not self.mapped_names & {"mobile", "email"}:
            problems.append(_("Map a mobile or an e-mail column."))
        if not self.may_add:
            problems.append(_("You may not create leads."))
        return problems

    def key_value(self, data: dict[str, Any]) -> Any:
        return data.get("mobile") or data.get("email") or None

    def remember_row(self, values: list[Any], row: int) -> None:
        data, problems = self.parse(values)
        if not problems:
            for name in IDENTIFIERS:
                if data.get(name):
                    self.seen.setdefault((name, data[name]), row)

    def check_row(self, data: dict[str, Any], problems: list[Problem]) -> None:
        if problems:
            return
        if not data.get("name"):
            problems.append((self.column_label("name"), "", _("This field is required.")))
        if not data.get("mobile") and not data.get("email"):
            problems.append((self.column_label("mobile"), "", _("Give a mobile or an e-mail address.")))

    def _known(self, parsed: list[tuple[int, dict[str, Any]]]) -> dict[tuple[str, str], str]:
        """(identifier, value) → "customer #id" / "lead #id" for the chunk's values already stored (a customer
        before a lead, the lowest id first). One query per identifier and table, each an ``IN`` list on that
        column's index: customers by mobile and e-mail, organisation profiles by credit code (no join), open leads
        by each identifier. (One query with an ``OR`` of the lists, or through a join, reads every customer; the
        partial indexes, of non-empty values, are chosen when the query says ``<> ''`` itself: a planner cannot
        prove it from a long ``IN`` list.)"""
        from kehu.customers.models import Customer, OrganisationProfile

        values = {name: sorted({data[name] for _row, data in parsed if data.get(name)}) for name in IDENTIFIERS}
        known: dict[tuple[str, str], str] = {}
        customers = {"mobile": Customer.objects.exclude(mobile=""), "email": Customer.objects.exclude(email=""),
                     "credit_code": OrganisationProfile.objects.exclude(credit_code="")}
        for name, rows in customers.items():
            if values[name]:
                pk = "customer_id" if name == "credit_code" else "pk"
                for found, value in rows.filter(**{f"{name}__in": values[name]}).order_by(pk).values_list(pk, name):
                    known.setdefault((name, value), _("customer #%(id)d") % {"id": found})
        for name in IDENTIFIERS:
            if values[name]:
                leads = Lead.objects.exclude(**{name: ""}).filter(**{f"{name}__in": values[name]},
                                                                  status__in=OPEN_STATUSES)
                for found, value in leads.order_by("pk").values_list("pk", name):
                    known.setdefault((name, value), _("lead #%(id)d") % {"id": found})
        return known

    def apply(self, prepared: list[Prepared], *, write: bool, preview: bool = False,
              defer: bool = False) -> ChunkOutcome:
        from .selectors import is_salesperson

        outcome = ChunkOutcome()
        parsed: list[tuple[int, dict[str, Any]]] = []
        for row, data, problems in prepared:
            if problems:
                outcome.fail(row, problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), problems))
                continue
            parsed.append((row, data))
        if not parsed:
            return outcome
        known = self._known(parsed)
        branch = None
        if self.actor is not None:
            branch = self.actor.branches.order_by("path").first()
        if branch is None:
            from kehu.org.models import Branch

            branch = Branch.objects.order_by("path").first()
        owner = self.actor if self.actor is not None and is_salesperson(self.actor) else None
        now = timezone.now()
        owner_id = owner.pk if owner is not None else None
        branch_id = branch.pk if branch is not None else None
        actor_id = self.actor.pk if self.actor is not None else None
        leads: list[dict[str, Any]] = []
        for row, data in parsed:
            row_problems: list[Problem] = []
            for name in IDENTIFIERS:
                value = data.get(name)
                if not value:
                    continue
                match = known.get((name, value))
                earlier = self.seen.get((name, value))
                if match:
                    row_problems.append((self.column_label(name), value,
                                         _("Already known: %(match)s. Attach to it instead of importing.")
                                         % {"match": match}))
                elif earlier:
                    row_problems.append((self.column_label(name), value,
                                         _("Duplicate of row %(row)d.") % {"row": earlier}))
            if branch is None:
                row_problems.append((self.column_label("name"), "", _("Choose the lead's branch.")))
            if row_problems:
                outcome.fail(row, row_problems)
                if preview:
                    outcome.rows.append(RowOutcome(row, "failed", self._display(data), row_problems))
                continue
            for name in IDENTIFIERS:
                if data.get(name):
                    self.seen[(name, data[name])] = row
            kind = LeadKind.ORGANISATION if data.get("credit_code") and not data.get("company") else LeadKind.PERSON
            leads.append({
                "kind": kind, "name": data["name"], "mobile": data.get("mobile") or "",
                "email": data.get("email") or "", "company": data.get("company") or "",
                "credit_code": data.get("credit_code") or "", "source": data.get("source") or LeadSource.PURCHASED_LIST,
                "campaign": data.get("campaign") or "", "notes": data.get("notes") or "", "owner_id": owner_id,
                "branch_id": branch_id, "assigned_at": now if owner else None, "worked_at": now,
                "pooled_at": None if owner else now, "created_by_id": actor_id, "created_at": now})
            outcome.created += 1
            if preview:
                outcome.rows.append(RowOutcome(row, "created", self._display(data)))
        if write and leads:
            ids = _insert(Lead, leads, now)
            events: list[dict[str, Any]] = [
                {"lead_id": pk, "kind": LeadEvent.Kind.CREATED, "actor_id": actor_id, "occurred_at": now,
                 "data": {"source": lead["source"], "campaign": lead["campaign"], "import": self.job_id}}
                for pk, lead in zip(ids, leads, strict=True)]
            if owner is not None:
                assigned = {"owner": str(owner), "previous": ""}
                events += [{"lead_id": pk, "kind": LeadEvent.Kind.ASSIGNED, "actor_id": actor_id, "occurred_at": now,
                            "data": assigned} for pk in ids]
            _insert(LeadEvent, events, now)
        return outcome

    def _display(self, data: dict[str, Any]) -> dict[str, str]:
        shown = {}
        for _index, spec in self.mapped:
            value = data.get(spec.name)
            if spec.name == "source":
                value = dict(LeadSource.choices).get(value or "", value)
            shown[str(spec.label)] = "" if value is None else str(value)
        return shown
