"""Web intake: the public lead form (framing, CSRF, the rate per address, invalid data, the honeypot, consent text
stored) and the same through ``/api/intake`` (bad key, origins, duplicates matched but never revealed)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kehu.sales.models import (
    AssignmentRule,
    IntakeForm,
    IntakeSubmission,
    Lead,
    LeadEvent,
    LeadSource,
    consent_version,
)

CONSENT = "我同意贵公司通过电话、短信联系我，介绍产品与服务。I agree to be contacted by phone and SMS."


@pytest.fixture
def intake(org, products):
    form = IntakeForm.objects.create(name="官网表单", title="预约到店", consent_text=CONSENT, branch=org["sh1"],
                                     campaign="2026春季", allowed_origins="https://www.example.cn\nhttps://m.example.cn/")
    form.products.set([products["sofa"], products["desk"]])
    return form


def _page(client: Client, intake: IntakeForm, **extra) -> tuple[str, str]:
    response = client.get(f"/sales/intake/{intake.public_key}/", **extra)
    assert response.status_code == 200
    text = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    assert token is not None
    return text, token.group(1)


def _post(client: Client, intake: IntakeForm, token: str, **fields) -> object:
    data = {"csrfmiddlewaretoken": token, "name": "韩梅梅", "mobile": "13912345678", "consent": "on",
            "consent_version": consent_version(intake.consent_text), **fields}
    return client.post(f"/sales/intake/{intake.public_key}/?lang=en", data)


def test_the_page_is_public_framed_only_by_the_allowed_origins_and_in_both_languages(intake, org):
    client = Client(enforce_csrf_checks=True)
    response = client.get(f"/sales/intake/{intake.public_key}/?lang=en")
    assert response.status_code == 200 and "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.example.cn https://m.example.cn" in policy and "'none'" not in \
        policy.split("frame-ancestors")[1].split(";")[0]
    text = response.content.decode()
    assert CONSENT in text and "I agree" in text and 'name="website"' in text and "沙发" in text
    assert "我同意" in client.get(f"/sales/intake/{intake.public_key}/?lang=zh-hans").content.decode()
    assert "发送" in client.get(f"/sales/intake/{intake.public_key}/?lang=zh-hans").content.decode()
    unframed = IntakeForm.objects.create(name="内部", consent_text="同意", branch=org["sh1"])
    closed = client.get(f"/sales/intake/{unframed.public_key}/")
    assert closed.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in \
        closed.headers["Content-Security-Policy"]
    # every other page still refuses to be framed
    other = client.get("/login/")
    assert other.headers.get("X-Frame-Options") == "DENY"
    assert client.get("/sales/intake/no-such-key/").status_code == 404
    IntakeForm.objects.filter(pk=intake.pk).update(is_active=False)
    assert client.get(f"/sales/intake/{intake.public_key}/").status_code == 404


def test_a_submission_becomes_an_assigned_web_form_lead_with_the_consent_text_shown(intake, users, products):
    AssignmentRule.objects.create(branch=intake.branch, cap=10)
    client = Client(enforce_csrf_checks=True)
    _text, token = _page(client, intake)
    response = _post(client, intake, token, company="星光公司", province="上海", message="想看看沙发",
                     products=[products["sofa"].pk])
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    lead = Lead.objects.get(mobile="+8613912345678")
    assert lead.source == LeadSource.WEB_FORM and lead.campaign == "2026春季" and lead.branch == intake.branch
    assert lead.owner == users["account_manager"] and lead.province_code == "310000"  # the branch's round-robin
    assert list(lead.products.all()) == [products["sofa"]] and lead.notes == "想看看沙发"
    submission = IntakeSubmission.objects.get()
    assert submission.lead == lead and submission.outcome == "created" and submission.consent_text == CONSENT
    assert submission.consent_version == consent_version(CONSENT) and submission.address_hash
    assert LeadEvent.objects.filter(lead=lead, kind="created", data__intake="官网表单").exists()


def test_without_a_csrf_token_the_post_is_refused(intake):
    client = Client(enforce_csrf_checks=True)
    _page(client, intake)
    response = client.post(f"/sales/intake/{intake.public_key}/", {
        "name": "韩梅梅", "mobile": "13912345678", "consent": "on", "consent_version": consent_version(CONSENT)})
    assert response.status_code == 403
    assert not Lead.objects.exists() and not IntakeSubmission.objects.exists()


def test_the_csrf_cookie_is_cross_site_only_for_an_embeddable_form_over_https(intake, org):
    client = Client(enforce_csrf_checks=True)
    secure = client.get(f"/sales/intake/{intake.public_key}/", secure=True)
    cookie = secure.cookies["csrftoken"]
    assert cookie["samesite"] == "None" and cookie["secure"]
    plain = Client().get(f"/sales/intake/{intake.public_key}/")
    assert plain.cookies["csrftoken"]["samesite"] == "Lax"
    unframed = IntakeForm.objects.create(name="内部", consent_text="同意", branch=org["sh1"])
    assert Client().get(f"/sales/intake/{unframed.public_key}/", secure=True).cookies["csrftoken"]["samesite"] == "Lax"


def test_invalid_data_shows_the_errors_and_creates_nothing(intake, products, org):
    client = Client(enforce_csrf_checks=True)
    _text, token = _page(client, intake)
    cases = [
        ({"mobile": ""}, "Give a mobile or an e-mail address."),
        ({"mobile": "12345"}, ""),
        ({"consent": ""}, ""),
        ({"name": "x" * 201}, ""),
        ({"name": "=1+1\x00"}, ""),
        ({"message": "y" * 2001}, ""),
        ({"products": ["999999"]}, ""),
        ({"consent_version": "0" * 16}, "The consent text has changed"),
    ]
    other = IntakeForm.objects.create(name="别的", consent_text="同意", branch=org["sh1"])
    other.products.set([products["desk"]])
    intake.products.set([products["sofa"]])
    cases.append(({"products": [str(products["desk"].pk)]}, ""))  # a product the form does not offer
    for fields, message in cases:
        response = _post(client, intake, token, **fields)
        assert response.status_code == 400, fields
        assert 'class="field-error"' in response.content.decode() or "message-error" in response.content.decode()
        if message:
            assert message in response.content.decode()
    assert not Lead.objects.exists() and not IntakeSubmission.objects.exists()


def test_the_honeypot_is_thanked_and_ignored(intake):
    client = Client(enforce_csrf_checks=True)
    _text, token = _page(client, intake)
    response = _post(client, intake, token, website="http://spam.example")
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert not Lead.objects.exists() and not IntakeSubmission.objects.exists()


def test_over_the_rate_per_address_answers_429(intake, settings):
    settings.KEHU_INTAKE_RATE = "2/min"
    client = Client(enforce_csrf_checks=True)
    _text, token = _page(client, intake)
    assert _post(client, intake, token, mobile="13900000001").status_code == 200
    assert _post(client, intake, token, mobile="").status_code == 400  # invalid tries count too
    over = _post(client, intake, token, mobile="13900000003")
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert Lead.objects.count() == 1
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.9")  # another address has its own count
    _text, token = _page(other, intake)
    assert _post(other, intake, token, mobile="13900000004").status_code == 200


# --- the API -----------------------------------------------------------------------------------------------------
def _api(client: Client, key: str | None, body: dict, **headers):
    extra = {"HTTP_X_INTAKE_KEY": key} if key is not None else {}
    extra.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})
    return client.post("/api/intake/leads", body, content_type="application/json", **extra)


def _body(**fields) -> dict:
    return {"name": "李雷", "mobile": "13812345678", "consent": True, "consent_text": CONSENT, **fields}


def test_the_api_needs_a_valid_key_and_an_allowed_origin(intake):
    client = Client()
    assert _api(client, None, _body()).status_code == 401
    bad = _api(client, "wrong-key", _body())
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_key"
    assert _api(client, "x" * 500, _body()).status_code == 401
    foreign = _api(client, intake.public_key, _body(), origin="https://evil.example")
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "origin_not_allowed"
    assert not Lead.objects.exists()
    shown = client.get("/api/intake/form", HTTP_X_INTAKE_KEY=intake.public_key, HTTP_ORIGIN="https://m.example.cn")
    assert shown.status_code == 200 and shown.json()["consent_text"] == CONSENT
    assert shown.headers["Access-Control-Allow-Origin"] == "https://m.example.cn"
    ok = _api(client, intake.public_key, _body(language="tlh"), origin="https://www.example.cn")
    assert ok.status_code == 202 and ok.json() == {"received": True}
    assert ok.headers["Access-Control-Allow-Origin"] == "https://www.example.cn"
    lead = Lead.objects.get()
    submission = IntakeSubmission.objects.get()
    assert lead.source == "web_form" and submission.channel == "api" and submission.language == ""


def test_the_api_checks_the_data_and_the_consent_text(intake):
    client = Client()
    for body in (_body(consent=False), _body(consent_text="别的文字"), _body(mobile="", email=""),
                 _body(mobile="abc"), _body(name="\x00"), _body(products=[10**12])):
        response = _api(client, intake.public_key, body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error"
    assert not Lead.objects.exists() and not IntakeSubmission.objects.exists()


def test_a_known_customer_is_matched_but_not_revealed(intake, customers, users):
    client = Client()
    customer = customers["colleague"]
    customer.mobile = "+8613812345678"
    customer.save(update_fields=["mobile"])
    known = _api(client, intake.public_key, _body(mobile="13812345678"))
    fresh = _api(client, intake.public_key, _body(mobile="13712345678", name="新人"))
    assert known.status_code == fresh.status_code == 202 and known.json() == fresh.json()
    submission = IntakeSubmission.objects.get(mobile="+8613812345678")
    assert submission.outcome == "customer" and submission.customer == customer
    lead = submission.lead
    assert lead.owner == users["other_account_manager"]  # the customer's own account manager, no second chaser
    created = LeadEvent.objects.get(lead=lead, kind="created")
    assert created.data["duplicate_of"] == {"kind": "customer", "id": customer.pk, "name": customer.name}


def test_an_open_lead_is_matched_and_gets_the_submission_on_its_timeline(intake, users, products):
    from kehu.sales.services import lead_create
    from kehu.work.models import Notification

    lead = lead_create(actor=users["account_manager"], name="李雷", mobile="13812345678")
    client = Client(enforce_csrf_checks=True)
    _text, token = _page(client, intake)
    again = _post(client, intake, token, name="李雷", mobile="138 1234 5678", email="li@example.cn",
                  products=[products["desk"].pk], message="再问一下价格")
    assert again.status_code == 200 and "Thank you" in again.content.decode()
    assert Lead.objects.count() == 1
    lead.refresh_from_db()
    assert lead.email == "li@example.cn" and products["desk"] in lead.products.all()
    attached = LeadEvent.objects.get(lead=lead, kind="attached")
    assert attached.data["source"] == "web_form" and attached.data["notes"] == "再问一下价格"
    assert IntakeSubmission.objects.get().outcome == "lead"
    assert Notification.objects.filter(recipient=users["account_manager"], kind="lead_assigned").exists()
    # the public API answers the same for it
    assert _api(Client(), intake.public_key, _body(mobile="13812345678")).json() == {"received": True}
    assert Lead.objects.count() == 1


def test_the_overview_lists_forms_and_submissions_for_managers_only(intake, users, client):
    _api(Client(), intake.public_key, _body())
    client.force_login(users["branch_manager"])
    page = client.get("/sales/intake/", headers={"Accept-Language": "en"})
    text = page.content.decode()
    assert page.status_code == 200 and "官网表单" in text and "李雷" in text and intake.public_key in text
    assert "网站线索" in client.get("/sales/intake/", headers={"Accept-Language": "zh-Hans"}).content.decode()
    client.force_login(users["account_manager"])
    assert client.get("/sales/intake/").status_code == 403


def test_the_demo_has_a_form_with_submissions(users, customers, products):
    from kehu.sales.intake.demo import load_intake_demo

    customer = customers["mine"]
    customer.mobile = "+8613800001111"
    customer.save(update_fields=["mobile"])
    count = load_intake_demo(customers=list(customers.values()), users=users, seed=1)
    form = IntakeForm.objects.get()
    assert count == 7 and form.submissions.count() == 7
    outcomes = set(form.submissions.values_list("outcome", flat=True))
    assert outcomes == {"created", "lead", "customer"}
    assert Lead.objects.filter(source="web_form").count() == 6
    assert load_intake_demo(customers=list(customers.values()), users=users, seed=1) == 0  # once
