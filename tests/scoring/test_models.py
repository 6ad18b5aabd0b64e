"""Tier scheme configuration: validation, exactly one primary scheme, the admin."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from kehu.scoring import services
from kehu.scoring.models import ScoringConfiguration, TierScheme


def test_default_schemes_exist_with_the_pyramid_primary(db):
    assert list(TierScheme.objects.order_by("position").values_list("name", "is_primary")) == [
        ("pyramid", True), ("thresholds", False), ("sales-margin", False), ("value-loyalty", False),
        ("weighted-score", False),
    ]
    for scheme in TierScheme.objects.all():
        scheme.full_clean()


def test_invalid_parameters_are_reported_on_the_field(db):
    scheme = TierScheme(name="bad", label="Bad", kind="pyramid",
                        parameters={"measure": "amount", "tiers": [{"code": "A", "label": "A", "share": 2}]})
    with pytest.raises(ValidationError) as error:
        scheme.full_clean()
    assert "parameters" in error.value.message_dict


def test_empty_parameters_take_the_defaults_of_the_kind(db):
    scheme = TierScheme(name="vip", label="VIP", kind="thresholds")
    scheme.full_clean()
    assert [t.code for t in scheme.tiers] == ["platinum", "gold", "silver", "regular"]


def test_exactly_one_primary_scheme(db):
    thresholds = TierScheme.objects.get(name="thresholds")
    services.tier_scheme_set_primary(scheme=thresholds)
    assert list(TierScheme.objects.filter(is_primary=True).values_list("name", flat=True)) == ["thresholds"]
    # the flag cannot simply be removed ...
    thresholds.is_primary = False
    with pytest.raises(ValidationError) as error:
        thresholds.full_clean()
    assert "is_primary" in error.value.message_dict
    # ... and the database refuses a second primary
    with pytest.raises(IntegrityError), transaction.atomic():
        TierScheme.objects.filter(name="pyramid").update(is_primary=True)
    inactive = TierScheme.objects.create(name="off", label="Off", kind="pyramid", is_active=False,
                                         parameters=TierScheme.objects.get(name="pyramid").parameters)
    with pytest.raises(ValidationError):
        services.tier_scheme_set_primary(scheme=inactive)


def test_configuration_validation(db):
    configuration = services.scoring_configuration_get()
    configuration.rfm_recency_cuts = [90, 30, 180, 365]
    configuration.p_alive_threshold = 1.5
    configuration.value_weights = {"profit": -1}
    with pytest.raises(ValidationError) as error:
        configuration.full_clean()
    assert set(error.value.message_dict) >= {"rfm_recency_cuts", "p_alive_threshold", "value_weights"}
    assert ScoringConfiguration.objects.count() == 1


def test_admin_edits_schemes_through_the_service(users):
    client = Client()
    admin_user = users["administrator"]
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    client.force_login(admin_user)
    assert client.get(reverse("admin:scoring_tierscheme_changelist")).status_code == 200
    scheme = TierScheme.objects.get(name="weighted-score")
    url = reverse("admin:scoring_tierscheme_change", args=[scheme.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "name": scheme.name, "label": scheme.label, "description": "", "kind": scheme.kind, "is_primary": "on",
        "is_active": "on", "position": "4", "parameters": '{"window_days": 180}',
    })
    assert response.status_code == 200 and b"errorlist" in response.content  # incomplete parameters refused
    response = client.post(url, {
        "name": scheme.name, "label": scheme.label, "description": "", "kind": scheme.kind, "is_primary": "on",
        "is_active": "on", "position": "4", "parameters": "{}",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert TierScheme.objects.get(is_primary=True).name == "weighted-score"
