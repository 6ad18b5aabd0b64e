"""Create and edit forms: service errors next to their fields in the user's language, history, version conflicts."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from kehu.customers.models import Customer, LifecycleChange

from .helpers import field_errors, page_text

CREATE_PERSON = reverse("customers:create", args=["person"])
CREATE_ORGANISATION = reverse("customers:create", args=["organisation"])
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"  # wrong check digit
CHECK_DIGIT_MESSAGE = "The ID number's check digit is wrong; please check the number."


def person_data(org, **changes) -> dict:
    data = {
        "name": "张三", "branch": org["sh1"].pk, "mobile": "138 0013 8000", "id_type": "resident_id",
        "id_number": GOOD_ID, "lifecycle_status": "prospect", "lifecycle_stage": "identification",
        "management_class": "regular", "relationship_stage": "development", "employer": "上海电气",
    }
    data.update(changes)
    return data


def test_create_form_defaults_to_the_only_store(client, users, org):
    client.force_login(users["account_manager"])
    assert client.get(CREATE_PERSON).context["form"]["branch"].value() == org["sh1"].pk
    client.force_login(users["branch_manager"])  # region East: two stores, no default
    assert client.get(CREATE_PERSON).context["form"]["branch"].value() is None


def test_create_person(client, users, org):
    from kehu.customers.services import tag_get_or_create

    vip = tag_get_or_create(name="VIP")
    client.force_login(users["account_manager"])
    response = client.post(CREATE_PERSON, person_data(org, tags=[vip.pk], new_tags="婚庆 2026, 理财"))
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert (customer.kind, customer.name, customer.mobile) == ("person", "张三", "+8613800138000")
    assert customer.owner == users["account_manager"]  # account managers own what they create
    assert customer.person.id_number == GOOD_ID and customer.person.employer == "上海电气"
    assert customer.person.birth_date.isoformat() == "1949-12-31"
    assert sorted(tag.name for tag in customer.tags.all()) == ["VIP", "婚庆 2026", "理财"]


def test_create_person_with_bad_id_number_shows_the_error_next_to_the_field_in_chinese(client, users, org):
    client.force_login(users["account_manager"])
    response = client.post(CREATE_PERSON, person_data(org, id_number=BAD_ID, name=""))
    assert response.status_code == 200
    assert not Customer.objects.exists()
    with translation.override("zh-hans"):
        expected = translation.gettext(CHECK_DIGIT_MESSAGE)
    assert response.content.decode().count('<html lang="zh-hans"') == 1
    # the form's own check and Django's catalogue: the required name, in Chinese; the ID number at the same time
    assert field_errors(response.content, "name") == ["这个字段是必填项。"]
    assert field_errors(response.content, "id_number") == [expected]
    # with the rest of the form complete the error is still there, and nothing is saved
    response = client.post(CREATE_PERSON, person_data(org, id_number=BAD_ID))
    assert field_errors(response.content, "id_number") == [expected]
    assert field_errors(response.content, "mobile") == []
    # the user's input is kept
    assert 'value="上海电气"' in response.content.decode()


def test_create_person_errors_in_english(client, users, org):
    client.force_login(users["account_manager"])
    client.cookies["django_language"] = "en"
    response = client.post(CREATE_PERSON, person_data(org, name=""))
    assert field_errors(response.content, "name") == ["This field is required."]
    response = client.post(CREATE_PERSON, person_data(org, id_number=BAD_ID, mobile="12345"))
    assert '<html lang="en"' in response.content.decode()
    assert field_errors(response.content, "id_number") == [CHECK_DIGIT_MESSAGE]
    assert field_errors(response.content, "mobile")
    assert not Customer.objects.exists()


def test_accept_language_header_picks_english(client, users, org):
    client.force_login(users["account_manager"])
    response = client.post(CREATE_PERSON, person_data(org, id_number=BAD_ID), headers={"Accept-Language": "en"})
    assert field_errors(response.content, "id_number") == [CHECK_DIGIT_MESSAGE]


def test_create_organisation_with_bad_credit_code(client, users, org):
    client.force_login(users["branch_manager"])
    data = {"name": "华商贸易有限公司", "branch": org["sh2"].pk, "credit_code": "91310000MA1FL0JE1B",
            "lifecycle_status": "prospect", "lifecycle_stage": "identification", "management_class": "regular",
            "relationship_stage": "development", "business_status": "operating"}
    response = client.post(CREATE_ORGANISATION, data, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert field_errors(response.content, "credit_code") == [
        "The credit code's check character is wrong; please check the code."]
    data["credit_code"] = "91310000MA1FL0JE1E"
    response = client.post(CREATE_ORGANISATION, data)
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.kind == "organisation" and customer.organisation.credit_code == "91310000MA1FL0JE1E"


def test_create_in_a_branch_outside_the_scope_is_refused(client, users, org):
    client.force_login(users["branch_manager"])
    response = client.post(CREATE_PERSON, person_data(org, branch=org["bj1"].pk))
    assert response.status_code == 200
    assert field_errors(response.content, "branch")
    assert not Customer.objects.exists()


def test_create_needs_permission(client, users, org):
    client.force_login(users["marketer"])
    assert client.get(CREATE_PERSON).status_code == 403
    assert client.post(CREATE_PERSON, person_data(org)).status_code == 403
    assert not Customer.objects.exists()
    client.force_login(users["administrator"])
    assert client.get(reverse("customers:create", args=["robot"])).status_code == 404


def test_custom_attributes_are_fields_validated_on_save(client, users, org):
    from kehu.customers.models import CustomAttribute

    CustomAttribute.objects.create(key="wechat", label="微信号", required=True)
    CustomAttribute.objects.create(key="risk", label="风险等级", type="choice", choices="低\n中\n高")
    CustomAttribute.objects.create(key="org_only", label="单位专用", applies_to="organisation")
    client.force_login(users["account_manager"])
    form = client.get(CREATE_PERSON).context["form"]
    assert {"ca_wechat", "ca_risk"} <= set(form.fields) and "ca_org_only" not in form.fields
    response = client.post(CREATE_PERSON, person_data(org, ca_risk="极高"))
    assert field_errors(response.content, "ca_wechat")
    assert field_errors(response.content, "ca_risk")
    response = client.post(CREATE_PERSON, person_data(org, ca_wechat="zhangsan88", ca_risk="中"))
    assert response.status_code == 302
    assert Customer.objects.get().custom_attributes == {"wechat": "zhangsan88", "risk": "中"}


def test_edit_records_history_shown_on_the_page(client, users, make_customer, edit_data):
    customer = make_customer("张三", owner=users["account_manager"], mobile="13800138000",
                             person={"id_number": GOOD_ID, "employer": "上海电气"})
    client.force_login(users["account_manager"])
    edit_url = reverse("customers:edit", args=[customer.pk])
    form_page = page_text(client.get(edit_url))
    assert "13800138000" not in form_page and GOOD_ID not in form_page  # personal data stays masked
    assert "138****8000" in form_page
    data = edit_data(customer, employer="中国银行", lifecycle_status="current", reason="开户成功")
    response = client.post(edit_url, data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.version == 2
    assert customer.mobile == "+8613800138000"  # the empty masked input kept it
    assert customer.person.id_number == GOOD_ID
    assert customer.person.employer == "中国银行"
    change = LifecycleChange.objects.filter(customer=customer, field="status").first()
    assert (change.old_value, change.new_value, change.reason) == ("prospect", "current", "开户成功")

    page = client.get(reverse("customers:detail", args=[customer.pk]))
    text = page_text(page)
    assert "上海电气" in text and "中国银行" in text  # old → new in the history
    assert "开户成功" in text
    entry = next(entry for entry in page.context["history"] if any("中国银行" in new for _f, _o, new in entry.changes))
    assert entry.who == str(users["account_manager"])


def test_edit_can_replace_the_masked_mobile(client, users, make_customer, edit_data):
    customer = make_customer("张三", mobile="13800138000")
    client.force_login(users["administrator"])
    response = client.post(reverse("customers:edit", args=[customer.pk]), edit_data(customer, mobile="13900139000"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.mobile == "+8613900139000"
    history = client.get(reverse("customers:detail", args=[customer.pk])).context["history"]
    changes = [change for entry in history for change in entry.changes]
    assert any(old == "138****8000" and new == "139****9000" for _field, old, new in changes)


def test_edit_validation_error_next_to_the_field(client, users, make_customer, edit_data):
    customer = make_customer("张三")
    client.force_login(users["administrator"])
    response = client.post(reverse("customers:edit", args=[customer.pk]),
                           edit_data(customer, id_number=BAD_ID),
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert field_errors(response.content, "id_number") == [CHECK_DIGIT_MESSAGE]
    # a rule only the model knows comes back from the service, next to its field too
    response = client.post(reverse("customers:edit", args=[customer.pk]), edit_data(customer, share_of_wallet="150"),
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert field_errors(response.content, "share_of_wallet") == ["Share of wallet is a percentage from 0 to 100."]
    customer.refresh_from_db()
    assert customer.version == 1


def test_concurrent_edit_shows_a_conflict_and_keeps_the_input(client, users, make_customer, edit_data):
    from kehu.customers.services import customer_update

    customer = make_customer("张三", owner=users["account_manager"])
    client.force_login(users["account_manager"])
    stale = edit_data(customer, notes="我的修改")
    assert stale["expected_version"] == "1"
    # someone else saves in between
    customer_update(customer=customer, actor=users["branch_manager"], notes="别人的修改")
    response = client.post(reverse("customers:edit", args=[customer.pk]), stale, headers={"Accept-Language": "en"})
    assert response.status_code == 409
    text = page_text(response)
    assert "changed by someone else" in text
    assert "我的修改" in text  # the user's input is still in the form
    customer.refresh_from_db()
    assert (customer.notes, customer.version) == ("别人的修改", 2)
    # the form now carries the current version: saving again is a deliberate overwrite
    assert response.context["form"]["expected_version"].value() == "2"
    again = dict(stale, expected_version="2")
    assert client.post(reverse("customers:edit", args=[customer.pk]), again).status_code == 302
    customer.refresh_from_db()
    assert (customer.notes, customer.version) == ("我的修改", 3)
