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
