"""The demo step "Satisfaction surveys" (order 136, after the demo's tickets): a CSAT invitation for every closed
ticket of a customer with an address (about 40 % answered, mostly 4–5) and an NPS wave per quarter over the last
year (a tenth of the customers, about a third answering). Written in bulk; tolerates no tickets."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from django.utils import timezone

CSAT_WEIGHTS = [(1, 4), (2, 6), (3, 14), (4, 38), (5, 38)]
NPS_WEIGHTS = [(0, 2), (1, 1), (2, 1), (3, 2), (4, 2), (5, 4), (6, 6), (7, 12), (8, 20), (9, 26), (10, 24)]
CSAT_COMMENTS = ["", "", "", "处理很及时，谢谢！", "客服态度很好", "等待时间有点长", "问题解决了", "希望能更快回复"]
NPS_COMMENTS = ["", "", "", "服务一直很满意", "价格可以再优惠一些", "门店环境很好", "会推荐给朋友"]


def _pick(rng: random.Random, weights: list[tuple[int, int]]) -> int:
    return rng.choices([score for score, _w in weights], weights=[w for _s, w in weights])[0]


def _reach(customer: Any) -> tuple[str, str] | None:
    if customer.email:
        return "email", customer.email
    if customer.mobile:
        return "sms", customer.mobile
    return None


def load_surveys_demo(*, customers: list[Any], users: dict[str, Any], seed: int = 0) -> dict[str, int]:
    from kehu.customers.timeline import activity_record_bulk
    from kehu.service.models import SurveyInvitation, SurveyResponse, Ticket

    rng = random.Random(seed + 136)
    now = timezone.now()
    by_id = {customer.pk: customer for customer in customers}
    plans: list[tuple[SurveyInvitation, int | None, str]] = []  # invitation, score (None: unanswered), comment

    def plan(invitation: SurveyInvitation, answer_share: float, weights: list[tuple[int, int]],
             comments: list[str]) -> None:
        sent = invitation.created_at + dt.timedelta(minutes=rng.randint(1, 30))
        invitation.sent_at, invitation.expires_at = sent, sent + dt.timedelta(days=14)
        invitation.token_hash = hashlib.sha256(f"demo-{rng.random()}".encode()).hexdigest()
        answered = rng.random() < answer_share and invitation.expires_at < now + dt.timedelta(days=14)
        if answered:
            invitation.answered_at = min(now, sent + dt.timedelta(hours=rng.randint(1, 96)))
            invitation.status = "answered"
            plans.append((invitation, _pick(rng, weights), rng.choice(comments)))
        else:
            invitation.status = "sent"
            plans.append((invitation, None, ""))

    tickets = (Ticket.objects.filter(customer_id__in=list(by_id), status__in=["closed", "reviewed"])
               .values_list("pk", "customer_id", "team_id", "closed_at", "updated_at", "type"))
    for pk, customer_id, team_id, closed_at, updated_at, kind in tickets:
        customer = by_id[customer_id]
        reach = _reach(customer)
        if reach is None:
            continue
        share = 0.3 if kind == "complaint" else 0.42
        invitation = SurveyInvitation(kind="csat", customer_id=customer_id, ticket_id=pk, branch_id=customer.branch_id,
                                      team_id=team_id, channel=reach[0], address=reach[1],
                                      created_at=closed_at or updated_at)
        plan(invitation, share, CSAT_WEIGHTS if kind != "complaint" else CSAT_WEIGHTS[::-1][1:] + [(5, 10)],
             CSAT_COMMENTS)
    reachable = [customer for customer in customers if _reach(customer) and customer.lifecycle_status == "current"]
    today = timezone.localdate()
    for quarter in range(4):
        wave_day = (today.replace(day=1) - dt.timedelta(days=91 * quarter)).replace(day=2)
        moment = timezone.make_aware(dt.datetime.combine(wave_day, dt.time(10)))
        if moment > now:
            continue
        for customer in rng.sample(reachable, k=len(reachable) // 10):
            channel, address = _reach(customer)  # type: ignore[misc]
            plan(SurveyInvitation(kind="nps", customer_id=customer.pk, period=f"{wave_day:%Y-%m}",
                                  branch_id=customer.branch_id, channel=channel, address=address, created_at=moment),
                 0.35, NPS_WEIGHTS, NPS_COMMENTS)
    SurveyInvitation.objects.bulk_create([invitation for invitation, _s, _c in plans], batch_size=2000,
                                         ignore_conflicts=False)
    responses = [SurveyResponse(invitation=invitation, kind=invitation.kind, customer_id=invitation.customer_id,
                                branch_id=invitation.branch_id, team_id=invitation.team_id, score=score,
                                comment=comment, answered_at=invitation.answered_at or now)
                 for invitation, score, comment in plans if score is not None]
    SurveyResponse.objects.bulk_create(responses, batch_size=2000)
    numbers = {pk: f"T{pk:07d}" for pk in {r.invitation.ticket_id for r in responses if r.invitation.ticket_id}}
    activity_record_bulk({"customer_id": r.customer_id, "kind": "survey", "occurred_at": r.answered_at,
                          "branch_id": r.branch_id, "subject_type": "service.surveyresponse", "subject_id": r.pk,
                          "data": {"survey": r.kind, "score": r.score,
                                   "ticket": numbers.get(r.invitation.ticket_id or 0, "")}}
                         for r in responses)
    return {"invitations": len(plans), "responses": len(responses)}
