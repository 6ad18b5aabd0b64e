"""Assignment routes by product of interest and by region, before the branch's round-robin (and its caps)."""

from __future__ import annotations

from kehu.sales.models import AssignmentRoute, AssignmentRule, Lead


def _create(api, mobile: str, **fields):
    body = {"name": fields.pop("name", "李雷"), "mobile": mobile, "assign": "auto", **fields}
    response = api.post("/api/leads", body)
    assert response.status_code == 201, response.json()
    return Lead.objects.get(pk=response.json()["id"])


def test_leads_go_by_product_then_region_then_the_branch_rule(api_as, users, org, products, make_user):
    am1, am2 = users["account_manager"], users["other_account_manager"]
    am3 = make_user("account_manager", org["sh1"], username="am3")
    AssignmentRule.objects.create(branch=org["sh1"], cap=100).members.set([am1])
    sofa = AssignmentRoute.objects.create(branch=org["sh1"], name="沙发专员", priority=10, cap=100)
    sofa.members.set([am2])
    sofa.products.set([products["sofa"]])
    zhejiang = AssignmentRoute.objects.create(branch=org["sh1"], name="浙江", priority=20, province_code="330000",
                                              cap=100)
    zhejiang.members.set([am3])
    hangzhou = AssignmentRoute.objects.create(branch=org["sh1"], name="杭州", priority=20, province_code="330000",
                                              city_code="330100", cap=100)
    hangzhou.members.set([am2])
    api = api_as(users["branch_manager"])
    assert _create(api, "13900000001", product_ids=[products["sofa"].pk], branch_id=org["sh1"].pk).owner == am2
    lead = _create(api, "13900000002", province="浙江", city="宁波", branch_id=org["sh1"].pk)
    assert lead.owner == am3 and (lead.province_code, lead.city_code) == ("330000", "330200")
    city_first = _create(api, "13900000003", province="浙江省", city="杭州市", branch_id=org["sh1"].pk)
    assert city_first.owner == am2
    assert _create(api, "13900000004", province="330000", branch_id=org["sh1"].pk).owner == am3  # a code works too
    assert _create(api, "13900000005", product_ids=[products["desk"].pk], province="上海",
                   branch_id=org["sh1"].pk).owner == am1  # no route: the branch rule
    assert _create(api, "13900000006", province="火星", branch_id=org["sh1"].pk).owner == am1  # unknown region
    other = AssignmentRoute.objects.create(branch=org["sh2"], name="别的店", priority=1, cap=100)
    other.members.set([am3])
    assert _create(api, "13900000007", branch_id=org["sh1"].pk).owner == am1  # another branch's route never applies


def test_a_route_shares_fairly_under_its_cap_and_falls_through_when_everyone_is_full(api_as, users, org, products,
                                                                                    make_user):
    am1, am2 = users["account_manager"], users["other_account_manager"]
    am3 = make_user("account_manager", org["sh1"], username="am3")
    AssignmentRule.objects.create(branch=org["sh1"], cap=100).members.set([am3])
    route = AssignmentRoute.objects.create(branch=org["sh1"], name="沙发", cap=2)
    route.members.set([am1, am2])
    route.products.set([products["sofa"]])
    api = api_as(users["branch_manager"])
    owners = [_create(api, f"1390000010{index}", product_ids=[products["sofa"].pk], branch_id=org["sh1"].pk).owner
              for index in range(5)]
    assert owners == [am1, am2, am1, am2, am3]  # round-robin within the route; both at the cap: the branch rule
    AssignmentRoute.objects.filter(pk=route.pk).update(is_active=False)
    AssignmentRoute.objects.filter(pk=route.pk).update(is_active=True, strategy="least_loaded", cap=10)
    Lead.objects.filter(owner=am1).update(status="disqualified", disqualify_reason="no_need")
    assert _create(api, "13900000199", product_ids=[products["sofa"].pk], branch_id=org["sh1"].pk).owner == am1


def test_web_intake_leads_follow_the_routes(users, org, products):
    from django.test import Client

    from kehu.sales.models import IntakeForm

    intake = IntakeForm.objects.create(name="官网", consent_text="同意", branch=org["sh1"])
    intake.products.set([products["sofa"]])
    route = AssignmentRoute.objects.create(branch=org["sh1"], name="沙发", cap=10)
    route.members.set([users["other_account_manager"]])
    route.products.set([products["sofa"]])
    response = Client().post("/api/intake/leads", {"name": "韩梅梅", "mobile": "13812340000", "consent": True,
                                                   "consent_text": "同意", "products": [products["sofa"].pk]},
                             content_type="application/json", HTTP_X_INTAKE_KEY=intake.public_key)
    assert response.status_code == 202
    assert Lead.objects.get(mobile="+8613812340000").owner == users["other_account_manager"]
