"""Reads of the survey part: who may be surveyed on which channel, the invitation a token names, the lists."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Subquery

from kehu.service.models import SurveyInvitation


def with_reachability(customers: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate ``survey_email_ok`` / ``survey_sms_ok``: the customer has an address on the channel and its newest
    consent event for that channel grants it (no consent recorded, or a withdrawal, means no)."""
    from kehu.customers.models import Consent

    def granted(channel: str) -> Subquery:
        newest = (Consent.objects.filter(customer=OuterRef("pk"), channel=channel)
                  .order_by("-recorded_at", "-id").values("granted")[:1])
        return Subquery(newest, output_field=BooleanField())

    return customers.annotate(survey_email_granted=granted("email"), survey_sms_granted=granted("sms"))


def reachable_filter() -> Q:
    return (Q(survey_email_granted=True) & ~Q(email="")) | (Q(survey_sms_granted=True) & ~Q(mobile=""))


def survey_channel_for(customer_id: int) -> tuple[str, str] | None:
    """``(channel, address)`` to survey the customer on (e-mail before SMS), or None (no address with consent)."""
    from kehu.customers.models import Customer

    row = (with_reachability(Customer.objects.filter(pk=customer_id))
           .values("email", "mobile", "survey_email_granted", "survey_sms_granted").first())
    if row is None:
        return None
    if row["survey_email_granted"] and row["email"]:
        return "email", row["email"]
    if row["survey_sms_granted"] and row["mobile"]:
        return "sms", row["mobile"]
    return None


def asked_recently(since: Any) -> QuerySet[SurveyInvitation]:
    return SurveyInvitation.objects.filter(customer=OuterRef("pk"), created_at__gte=since)


def not_asked_since(customers: QuerySet[Any], since: Any) -> QuerySet[Any]:
    return customers.filter(~Exists(asked_recently(since)))


def invitation_list(*, user: Any, kind: str = "", status: str = "") -> QuerySet[SurveyInvitation]:
    """Invitations of the customers of the user's branches (all for administrators and auditors), newest first."""
    from kehu.org.selectors import branch_ids_in_scope

    rows = SurveyInvitation.objects.select_related("customer", "ticket", "branch").order_by("-created_at", "-id")
    if not user.has_perm("service.view_surveyinvitation"):
        return rows.none()
    ids = branch_ids_in_scope(user)
    if ids is not None:
        rows = rows.filter(branch_id__in=ids)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    return rows


def ticket_survey_section(*, ticket: Any, user: Any = None) -> dict[str, Any] | None:
    """The ticket page's "Satisfaction survey" section: the CSAT invitation of this ticket (masked address, channel,
    status, when sent) and its answer (score, comment) — one query; hidden (None) when the ticket has none yet or the
    user may not see survey answers."""
    from kehu.core.masking import mask_email, mask_phone
    from kehu.service.models import SurveyInvitation

    if user is not None and not user.has_perm("service.view_surveyresponse"):
        return None
    invitation = (SurveyInvitation.objects.filter(ticket_id=ticket.pk, kind="csat")
                  .select_related("response").first())
    if invitation is None:
        return None
    response = getattr(invitation, "response", None)
    address = mask_email(invitation.address) if "@" in invitation.address else mask_phone(invitation.address)
    return {"invitation": invitation, "response": response, "address": address}
