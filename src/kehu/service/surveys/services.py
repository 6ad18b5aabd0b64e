"""Writes of the survey part: the CSAT invitation when a ticket closes (a ticket listener), the NPS wave, sending
(after commit, through ``kehu.core.queue.dispatch``) and answering (single use, atomically)."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from kehu.service.models import (
    SCORE_RANGE,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyStatus,
    TicketStatus,
)

from . import selectors, tokens

logger = logging.getLogger(__name__)
SEND_CHUNK = 500


def token_days() -> int:
    return int(getattr(settings, "KEHU_SURVEY_TOKEN_DAYS", 14))


def _dispatch_send(ids: list[int]) -> None:
    from kehu.core.queue import dispatch

    from .tasks import survey_send_task

    for start in range(0, len(ids), SEND_CHUNK):
        dispatch(survey_send_task, ids[start:start + SEND_CHUNK])


# --- CSAT ------------------------------------------------------------------------------------------------------------


def csat_on_ticket(*, ticket: Any, event: str, from_status: str = "", actor: Any = None) -> SurveyInvitation | None:
    """Ticket listener: when a ticket becomes closed, invite its customer (once per ticket) if the customer has an
    address with consent. Sending is queued for after the commit."""
    if event != "status" or ticket.status != TicketStatus.CLOSED or not ticket.customer_id:
        return None
    if SurveyInvitation.objects.filter(ticket_id=ticket.pk).exists():
        return None
    reach = selectors.survey_channel_for(ticket.customer_id)
    if reach is None:
        return None
    channel, address = reach
    from kehu.customers.models import Customer

    branch_id = Customer.objects.filter(pk=ticket.customer_id).values_list("branch_id", flat=True).first()
    try:
        with transaction.atomic():  # a savepoint: a concurrent close of the same ticket loses quietly
            invitation = SurveyInvitation.objects.create(
                kind=SurveyKind.CSAT, customer_id=ticket.customer_id, ticket_id=ticket.pk,
                branch_id=branch_id or ticket.branch_id, team_id=ticket.team_id, channel=channel, address=address,
                language=settings.LANGUAGE_CODE)
    except IntegrityError:
        return None
    _dispatch_send([invitation.pk])
    return invitation


# --- NPS -------------------------------------------------------------------------------------------------------------


def nps_share() -> float:
    return float(getattr(settings, "KEHU_SURVEY_NPS_SHARE", 0.1))


def nps_quiet_days() -> int:
    return int(getattr(settings, "KEHU_SURVEY_NPS_QUIET_DAYS", 90))


@dataclass
class WaveResult:
    period: str
    created: int
    already: int


@transaction.atomic
def nps_wave(*, as_of: dt.date | None = None, share: float | None = None, quiet_days: int | None = None,
             seed: int | None = None) -> WaveResult:
    """The NPS wave of ``as_of``'s month ("YYYY-MM"): a random ``share`` of the current customers reachable with
    consent and not surveyed in the last ``quiet_days`` days. Idempotent per period: if the period already has a wave
    nothing is added. Candidates are chosen in SQL, the invitations written with one bulk INSERT per chunk."""
    from kehu.customers.models import Customer

    as_of = as_of or timezone.localdate()
    share = nps_share() if share is None else share
    quiet_days = nps_quiet_days() if quiet_days is None else quiet_days
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    if not 0 <= quiet_days <= 3650:
        raise ValueError("quiet days must be from 0 to 3650")
    period = f"{as_of:%Y-%m}"
    existing = SurveyInvitation.objects.filter(kind=SurveyKind.NPS, period=period).count()
    if existing:
        return WaveResult(period, 0, existing)
    tz = timezone.get_current_timezone()
    moment = dt.datetime.combine(as_of, dt.time(9), tzinfo=tz)
    since = moment - dt.timedelta(days=quiet_days)
    candidates = selectors.not_asked_since(
        selectors.with_reachability(Customer.objects.filter(lifecycle_status="current")), since,
    ).filter(selectors.reachable_filter())
    rows = list(candidates.values_list("pk", "branch_id", "email", "mobile", "survey_email_granted",
                                       "survey_sms_granted"))
    rng = random.Random(seed if seed is not None else period)
    chosen = rng.sample(rows, k=round(len(rows) * share)) if rows else []
    objects = []
    for pk, branch_id, email, mobile, email_ok, _sms_ok in chosen:
        channel, address = ("email", email) if email_ok and email else ("sms", mobile)
        objects.append(SurveyInvitation(kind=SurveyKind.NPS, customer_id=pk, period=period, branch_id=branch_id,
                                        channel=channel, address=address, language=settings.LANGUAGE_CODE,
                                        created_at=min(moment, timezone.now())))
    SurveyInvitation.objects.bulk_create(objects, batch_size=2000, ignore_conflicts=True)
    ids = list(SurveyInvitation.objects.filter(kind=SurveyKind.NPS, period=period, status=SurveyStatus.QUEUED)
               .values_list("pk", flat=True))
    _dispatch_send(ids)
    return WaveResult(period, len(ids), 0)


# --- sending ---------------------------------------------------------------------------------------------------------


def survey_url(token: str, language: str) -> str:
    from django.urls import reverse

    return f"{settings.KEHU_SITE_URL.rstrip('/')}{reverse('survey_answer', args=[token])}?lang={language}"


def survey_message(invitation: SurveyInvitation, token: str) -> tuple[str, str]:
    """``(subject, body)`` in the invitation's language."""
    with translation.override(invitation.language or settings.LANGUAGE_CODE):
        url = survey_url(token, translation.get_language() or settings.LANGUAGE_CODE)
        days = token_days()
        if invitation.kind == SurveyKind.CSAT:
            subject = gettext("How did we do? Your request %(number)s") % {
                "number": invitation.ticket.number if invitation.ticket else ""}
            question = gettext("Your request is closed. How satisfied are you with our service? (1 to 5)")
        else:
            subject = gettext("Would you recommend us?")
            question = gettext("How likely are you to recommend us to a friend or colleague? (0 to 10)")
        valid = gettext("The link works once and for %(days)s days.") % {"days": days}
        if invitation.channel == "sms":
            return "", f"{question} {url} {valid}"
        greeting = gettext("Dear %(name)s,") % {"name": invitation.customer.name}
        return f"[{gettext('Kehu CRM')}] {subject}", f"{greeting}\n\n{question}\n\n{url}\n\n{valid}\n"


def invitations_send(*, ids: list[int]) -> int:
    """Send these queued invitations: each gets its token now (its nonce's hash stored, the token only in the
    message), is claimed by a conditional UPDATE (two workers never send one twice) and goes through its channel's
    provider. A provider error marks the invitation failed with the error. Returns the number sent."""
    from .providers import provider_for

    sent = 0
    rows = SurveyInvitation.objects.filter(pk__in=ids, status=SurveyStatus.QUEUED).select_related("customer",
                                                                                                 "ticket")
    for invitation in rows:
        token, token_hash = tokens.token_make(invitation.pk)
        now = timezone.now()
        claimed = SurveyInvitation.objects.filter(pk=invitation.pk, status=SurveyStatus.QUEUED).update(
            status=SurveyStatus.SENT, token_hash=token_hash, sent_at=now,
            expires_at=now + dt.timedelta(days=token_days()), error="")
        if not claimed:
            continue
        subject, body = survey_message(invitation, token)
        try:
            provider_for(invitation.channel).send(invitation.address, subject, body)
        except Exception as error:  # noqa: BLE001 - any provider failure is recorded on the invitation
            logger.warning("survey invitation %s not sent: %s", invitation.pk, error)
            SurveyInvitation.objects.filter(pk=invitation.pk).update(
                status=SurveyStatus.FAILED, token_hash="", error=str(error)[:500])
            continue
        sent += 1
    return sent


# --- answering -------------------------------------------------------------------------------------------------------


class SurveyError(Exception):
    """Why a token cannot be answered: ``code`` is ``invalid`` (altered, unknown), ``expired`` or ``used``."""

    def __init__(self, code: str, invitation: SurveyInvitation | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.invitation = invitation


def invitation_for_token(token: str) -> SurveyInvitation:
    """The invitation a token names if it may still be answered, else :class:`SurveyError`."""
    try:
        invitation_id, presented = tokens.token_read(token)
    except tokens.TokenInvalid:
        raise SurveyError("invalid") from None
    invitation = (SurveyInvitation.objects.select_related("customer", "ticket")
                  .filter(pk=invitation_id).first())
    if invitation is None or not tokens.hashes_match(invitation.token_hash, presented):
        raise SurveyError("invalid")
    if invitation.answered_at is not None:
        raise SurveyError("used", invitation)
    if invitation.expires_at is None or invitation.expires_at <= timezone.now():
        raise SurveyError("expired", invitation)
    return invitation


@transaction.atomic
def survey_answer(*, token: str, score: int, comment: str = "") -> SurveyResponse:
    """Record the answer. Single use is enforced by one conditional UPDATE (``answered_at IS NULL``, not expired,
    same nonce): of two concurrent answers exactly one wins; the other gets ``used``."""
    from django.core.exceptions import ValidationError

    from kehu.customers.timeline import activity_record

    invitation = invitation_for_token(token)
    low, high = SCORE_RANGE[SurveyKind(invitation.kind)]
    if not isinstance(score, int) or not low <= score <= high:
        raise ValidationError(gettext("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high})
    comment = (comment or "").replace("\x00", "").strip()[:2000]
    now = timezone.now()
    won = SurveyInvitation.objects.filter(
        pk=invitation.pk, answered_at__isnull=True, expires_at__gt=now, token_hash=invitation.token_hash,
    ).update(answered_at=now, status=SurveyStatus.ANSWERED)
    if not won:
        raise SurveyError("used", invitation)
    response = SurveyResponse.objects.create(
        invitation=invitation, kind=invitation.kind, customer_id=invitation.customer_id,
        branch_id=invitation.branch_id, team_id=invitation.team_id, score=score, comment=comment, answered_at=now)
    activity_record(customer=invitation.customer_id, kind="survey", occurred_at=now, branch_id=invitation.branch_id,
                    subject=response, data={"survey": invitation.kind, "score": score,
                                            "ticket": invitation.ticket.number if invitation.ticket else ""})
    return response
