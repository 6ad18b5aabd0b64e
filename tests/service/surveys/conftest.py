import pytest


@pytest.fixture
def surveyed(users, org, make_customer):
    """A customer with an e-mail address and e-mail consent, another with only a mobile and SMS consent, a third
    with an address but its e-mail consent withdrawn; a service team of SH1 and a helper that closes a ticket the
    way the workflow does (status set, then the listeners)."""
    from kehu.customers.services import consent_record
    from kehu.service import hooks, services
    from kehu.service.models import ServiceTeam, Ticket

    admin = users["administrator"]
    by_mail = make_customer("王芳", email="wangfang@example.com", mobile="+8613800138001")
    by_sms = make_customer("李雷", mobile="+8613800138002")
    refused = make_customer("韩梅梅", email="hmm@example.com")
    consent_record(customer=by_mail, actor=admin, channel="email", granted=True)
    consent_record(customer=by_sms, actor=admin, channel="sms", granted=True)
    consent_record(customer=refused, actor=admin, channel="email", granted=True,
                   recorded_at=__import__("django.utils.timezone", fromlist=["now"]).now()
                   - __import__("datetime").timedelta(days=3))
    consent_record(customer=refused, actor=admin, channel="email", granted=False)
    team = ServiceTeam.objects.create(name="上海客服", branch=org["sh1"])

    def ticket(customer, *, kind: str = "inquiry"):
        return services.ticket_create(actor=admin, type=kind, channel="phone", subject="发票问题", customer=customer,
                                      team=team)

    def close(ticket):
        Ticket.objects.filter(pk=ticket.pk).update(status="closed")
        ticket.refresh_from_db()
        hooks.ticket_changed(ticket=ticket, event="status", from_status="confirmed", actor=admin)
        return ticket

    return {"by_mail": by_mail, "by_sms": by_sms, "refused": refused, "team": team, "ticket": ticket,
            "close": close, "admin": admin}


@pytest.fixture
def api_as(users):
    """``api_as("branch_manager")``: a JSON API client with a new token of that user."""
    from kehu.org.services import api_token_create
    from tests.api.conftest import ApiClient

    def make(who: str):
        _token, key = api_token_create(user=users[who], name="tests")
        return ApiClient(key)

    return make


@pytest.fixture
def answered():
    """``answered(customer, kind, score, when, team=None)``: an invitation and its answer written directly (data
    for the reads under test)."""
    from kehu.service.models import SurveyInvitation, SurveyResponse

    def make(customer, kind, score, when, team=None):
        invitation = SurveyInvitation.objects.create(
            kind=kind, customer=customer, branch_id=customer.branch_id, team=team, channel="email",
            period=f"{when:%Y-%m}" if kind == "nps" else "",
            address="x@example.com", status="answered", created_at=when, sent_at=when, answered_at=when,
            expires_at=when)
        return SurveyResponse.objects.create(invitation=invitation, kind=kind, customer=customer,
                                             branch_id=customer.branch_id, team=team, score=score, answered_at=when)

    return make
