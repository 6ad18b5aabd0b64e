"""The agent's screen (来电弹屏) through its pages: the content of one round trip, the masking per role, the logged
lookup, "log this call", the unknown caller, hostile input and the number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.core.registry import CustomerPanel, panels
from kehu.customers.models import CustomerTier, PersonalDataAccess
from kehu.customers.services import consent_record
from kehu.relations.models import ContactRecord
from kehu.relations.services import contact_log

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
URL = "/service/agent/"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def caller(make_customer, users, make_ticket):
    """A customer with a tier, scores, an open and a closed ticket, a contact and a consent."""
    from kehu.scoring.models import CustomerSummary

    customer = make_customer("王芳", mobile=PHONE, email="wangfang@example.com", address="南京东路100号",
                             person={"id_number": ID_NUMBER, "birth_date": dt.date(1949, 12, 31)})
    CustomerTier.objects.create(customer=customer, tier="gold", label="黄金会员")
    CustomerSummary.objects.create(customer=customer, as_of=dt.date.today(), total_amount=Decimal("12345.60"),
                                   clv=Decimal("8800.00"), p_alive=0.87, last_purchase=dt.date(2026, 11, 1))
    make_ticket(customer, "扣款两次", priority=4, ticket_type="complaint")
    make_ticket(customer, "早已关闭", status="closed")
    contact_log(actor=users["administrator"], customer=customer, channel="phone", summary="上次来电询问积分")
    consent_record(customer=customer, actor=users["administrator"], channel="sms", granted=True)
    consent_record(customer=customer, actor=users["administrator"], channel="email", granted=False)
    return customer


def _get(client, user, phone=PHONE, **headers):
    client.force_login(user)
    return client.get(URL, {"phone": phone}, headers=headers)


def test_the_screen_shows_everything_in_one_round_trip(client, users, caller):
    response = _get(client, users["service_agent"])

    assert response.status_code == 200
    html = response.content.decode()
    assert "王芳" in html and caller.code in html
    assert "黄金会员" in html  # tier
    assert "8,800.00" in html and "12,345.60" in html and "87 %" in html  # value, spend, P(active)
    assert "扣款两次" in html and "早已关闭" not in html  # open tickets only
    assert "上次来电询问积分" in html  # last contacts
    assert "granted" in html and "refused" in html  # consents
    assert f"/service/tickets/new/?customer={caller.pk}" in html
    assert f"/service/agent/call/{caller.pk}/" in html  # log this call


@pytest.mark.parametrize("role", ["administrator", "branch_manager", "account_manager", "service_agent", "auditor",
                                  "marketer"])
def test_phones_email_and_id_number_are_masked_for_every_role(client, users, caller, role):
    user = users[role]
    if not user.has_perm("service.view_ticket"):
        assert _get(client, user).status_code == 403
        return
    html = _get(client, user).content.decode()

    assert "138****8000" in html and PHONE not in html.replace(f"phone={PHONE}", "").replace(f'value="{PHONE}"', "")
    assert "w***@example.com" in html and "wangfang@" not in html
    assert "1101**********002X" in html and ID_NUMBER not in html


@pytest.mark.parametrize("role,sees_personal", [("administrator", True), ("branch_manager", True),
                                                ("account_manager", True), ("service_agent", False),
                                                ("auditor", False)])
def test_address_and_birth_date_are_masked_for_roles_without_the_personal_data_permission(
        client, users, caller, role, sees_personal):
    html = _get(client, users[role]).content.decode()

    assert ("南京东路100号" in html) is sees_personal
    assert ("1949-12-31" in html) is sees_personal
    if not sees_personal:
        assert "****" in html and "1949-**-**" in html


def test_the_lookup_is_logged_as_the_api_lookup_is(client, users, caller):
    _get(client, users["service_agent"])

    entry = PersonalDataAccess.objects.get(user=users["service_agent"])
    assert entry.customer_id == caller.pk and entry.action == "lookup" and entry.fields == "phone"
    assert entry.reason == "Phone lookup"


def test_htmx_gets_the_result_alone(client, users, caller):
    response = _get(client, users["service_agent"], **{"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200 and "王芳" in html and "<html" not in html


def test_the_page_without_a_number_is_the_box(client, users):
    client.force_login(users["service_agent"])
    response = client.get(URL)

    assert response.status_code == 200
    assert 'name="phone"' in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_an_unknown_number_offers_a_ticket_for_the_caller(client, users, caller):
    html = _get(client, users["service_agent"], phone="13912345678").content.decode()

    assert "No customer has this number." in html
    assert "/service/tickets/new/?caller_phone=13912345678" in html
    assert not PersonalDataAccess.objects.exists()


def test_a_customer_out_of_scope_is_an_unknown_caller(client, users, caller):
    html = _get(client, users["bj_account_manager"]).content.decode()

    assert "王芳" not in html and "No customer has this number." in html


@pytest.mark.parametrize("phone", ["abc", "1" * 200, "=1+1", "138\x00001", "+999999999999999999999"])
def test_hostile_numbers_answer_4xx_never_500(client, users, phone):
    response = _get(client, users["service_agent"], phone=phone)

    assert response.status_code in (200, 400, 422)
    if response.status_code == 422:
        assert "Enter a valid phone number." in response.content.decode()


def test_logging_the_call_is_one_click(client, users, caller):
    client.force_login(users["service_agent"])

    response = client.post(f"/service/agent/call/{caller.pk}/?phone={PHONE}")

    assert response.status_code == 302 and response["Location"] == f"{URL}?phone={PHONE}"
    record = ContactRecord.objects.filter(customer=caller, staff=users["service_agent"]).get()
    assert record.channel == "phone" and record.direction == "inbound" and record.summary == "Inbound call"


def test_logging_the_call_through_htmx_answers_the_confirmation(client, users, caller):
    client.force_login(users["service_agent"])

    response = client.post(f"/service/agent/call/{caller.pk}/", {"summary": "问退款进度"},
                           headers={"HX-Request": "true"})

    assert response.status_code == 200 and "The call has been logged" in response.content.decode()
    assert ContactRecord.objects.filter(customer=caller, summary="问退款进度").count() == 1


def test_logging_the_call_needs_a_post_and_a_customer_in_scope(client, users, caller):
    client.force_login(users["bj_account_manager"])
    assert client.post(f"/service/agent/call/{caller.pk}/").status_code == 404
    client.force_login(users["auditor"])
    assert client.post(f"/service/agent/call/{caller.pk}/").status_code == 403
    client.force_login(users["service_agent"])
    assert client.get(f"/service/agent/call/{caller.pk}/").status_code == 405
    assert client.post("/service/agent/call/999999999/").status_code == 404
    assert ContactRecord.objects.filter(customer=caller).count() == 1  # the fixture's


def test_anonymous_users_are_sent_to_log_in(client, caller):
    response = client.get(URL, {"phone": PHONE})
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_registered_next_best_offer_panel_fills_its_slot(client, users, caller, settings):
    from pathlib import Path

    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [*settings.TEMPLATES[0]["DIRS"], Path(__file__).parent / "templates"]}]
    seen = []

    def load(ids, user, *, full=False):
        seen.append(list(ids))
        return {pk: {"offer": "白金信用卡"} for pk in ids}

    panel = CustomerPanel(key="next_best_offer", title="Next best offer", order=50, loader=load,
                          template="tests/_nbo_panel.html")
    html = _get(client, users["service_agent"]).content.decode()
    assert 'id="nbo"' not in html
    with panels.temporarily("next_best_offer", panel):
        html = _get(client, users["service_agent"]).content.decode()

    assert f"offer: 白金信用卡 for {caller.code}" in html and seen == [[caller.pk]]


def test_the_number_of_queries_does_not_grow_with_the_customers(client, users, make_customer, make_ticket):
    for number in range(2):
        make_ticket(make_customer(f"客户{number}", mobile=PHONE))
    client.force_login(users["service_agent"])
    client.get(URL, {"phone": PHONE})
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"phone": PHONE})
    for number in range(6):
        customer = make_customer(f"客户b{number}", mobile=PHONE)
        make_ticket(customer)
        contact_log(actor=users["administrator"], customer=customer, channel="phone", summary="来电")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, {"phone": PHONE})

    assert response.content.decode().count('class="card agent-card"') == 8
    assert len(many.captured_queries) == len(few.captured_queries)


# One round trip of the screen, each query a regression if it grows: the session and its user; the user's roles,
# permissions and branch scope in one statement; the customers with their branch, owner, profile, tier and scores;
# their tags, consents, open tickets and newest contacts in one statement (whether the agent may log a call needs no
# query: agents log for every customer they see); the access-log insert.
AGENT_SCREEN_QUERIES = 6


def test_the_screen_makes_its_counted_queries(client, users, caller, django_assert_num_queries):
    agent = users["service_agent"]
    client.force_login(agent)
    client.get(URL, {"phone": PHONE}, headers={"HX-Request": "true"})

    with django_assert_num_queries(AGENT_SCREEN_QUERIES):
        response = client.get(URL, {"phone": PHONE}, headers={"HX-Request": "true"})

    assert response.status_code == 200 and caller.code in response.content.decode()


def test_tags_owner_branch_and_the_newest_contacts_first(client, users, caller, org):
    from kehu.customers.models import Customer, Tag

    Customer.objects.filter(pk=caller.pk).update(owner=users["account_manager"])
    caller.tags.add(Tag.objects.create(name="投诉敏感"), Tag.objects.create(name="VIP"))
    for day in range(1, 8):
        ContactRecord.objects.create(customer=caller, channel="phone", direction="inbound", summary=f"第{day}次来电",
                                     occurred_at=dt.datetime(2026, 1, day, 9, tzinfo=dt.UTC),
                                     staff=users["service_agent"], branch=caller.branch)

    html = _get(client, users["service_agent"]).content.decode()

    assert "VIP, 投诉敏感" in html  # by name
    assert str(users["account_manager"]) in html and str(caller.branch) in html
    # the fixture's contact (now) and the four newest of these: five
    assert "上次来电询问积分" in html and str(users["service_agent"]) in html
    assert [day for day in range(1, 8) if f"第{day}次来电" in html] == [4, 5, 6, 7]


def test_the_open_tickets_are_capped_and_counted_urgent_first(client, users, caller, make_ticket):
    from kehu.service.panels import OPEN_TICKETS_SHOWN

    for number in range(OPEN_TICKETS_SHOWN + 3):
        make_ticket(caller, f"普通咨询{number:02d}", priority=2)

    html = _get(client, users["service_agent"]).content.decode()

    assert f'<span class="badge">{OPEN_TICKETS_SHOWN + 4}</span>' in html  # the fixture's open one and these
    assert html.index("扣款两次") < html.index("普通咨询00")  # urgent first
    assert "普通咨询18" in html and "普通咨询19" not in html  # then the oldest, 20 in all


def test_more_customers_than_shown_are_counted(client, users, make_customer):
    from kehu.service.agent.selectors import SHOWN

    for number in range(SHOWN + 2):
        make_customer(f"同号客户{number:02d}", mobile=PHONE)

    html = _get(client, users["service_agent"]).content.decode()

    assert html.count('class="card agent-card"') == SHOWN
    assert f"The {SHOWN} newest of {SHOWN + 2} customers with this number." in html
    assert "同号客户11" in html and "同号客户01" not in html  # the newest


@pytest.mark.parametrize("role", ["administrator", "branch_manager", "bj_account_manager", "account_manager",
                                  "service_agent", "auditor", "marketer"])
def test_the_screen_scopes_are_those_of_visible_to(users, org, make_customer, make_ticket, role):
    """The hand-written reads' row scopes (customers, tickets) give the rows ``visible_to`` gives."""
    from kehu.customers.models import Customer
    from kehu.customers.selectors import customer_view_scope_sql
    from kehu.org.selectors import user_access_load
    from kehu.service.models import Ticket
    from kehu.service.models.tickets import ticket_view_scope_sql

    user = users[role]
    sh = make_customer("上海客户", mobile="13800000001")
    bj = make_customer("北京客户", mobile="13800000002", branch=org["bj1"])
    owned = make_customer("自己的客户", mobile="13800000003", branch=org["sh2"], owner=users["bj_account_manager"])
    for customer in (sh, bj, owned):
        make_ticket(customer, "队内")
        make_ticket(customer, "队外", in_team=False)
    Ticket.objects.filter(pk=make_ticket(bj, "被指派", in_team=False).pk).update(assignee=user)
    Ticket.objects.filter(pk=make_ticket(bj, "自己建的", in_team=False).pk).update(created_by=user)
    user_access_load(user)

    for model, scope_sql in ((Customer, lambda: customer_view_scope_sql(user=user, alias="x")),
                             (Ticket, lambda: ticket_view_scope_sql(user, "x"))):
        expected = set(model.objects.visible_to(user).values_list("pk", flat=True))
        scope = scope_sql()
        if scope is None:
            found: set[int] = set()
        else:
            condition, parameters = scope
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT x.id FROM {table} x{' WHERE ' + condition if condition else ''}", parameters)
                found = {row[0] for row in cursor.fetchall()}
        assert found == expected, model.__name__
