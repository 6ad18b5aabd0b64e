"""Import targets come from the registry (kehu.core.registry.import_targets), filled by the apps owning the data."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kehu.core.registry import import_targets, register_import_target
from kehu.imports.services import target_class
from kehu.imports.targets.base import Target


class NotesTarget(Target):
    keys = ["code"]


def test_each_target_registered_by_the_app_owning_its_data():
    assert import_targets.keys() == ["customers", "contacts", "transactions", "contacts-log", "leads"]
    assert target_class("contacts-log").__name__ == "ContactLogTarget"
    assert target_class("leads").__name__ == "LeadTarget"
    assert target_class("customers").__name__ == "CustomerTarget"
    assert target_class("transactions").__name__ == "TransactionTarget"
    assert import_targets["transactions"].permissions == ("purchases.add_transaction",)


def test_the_engine_finds_a_target_registered_later_and_refuses_an_unknown_one():
    with pytest.raises(ValidationError):
        target_class("notes")
    with import_targets.temporarily("notes", import_targets["customers"].__class__(
            key="notes", label="Notes", target=f"{__name__}.NotesTarget")):
        assert target_class("notes") is NotesTarget
    with pytest.raises(ValidationError):
        target_class("notes")


def test_a_key_registered_twice_is_an_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        register_import_target("customers", "Customers", f"{__name__}.NotesTarget")


def test_upload_form_offers_the_registered_targets(client, users):
    from django.urls import reverse

    client.force_login(users["administrator"])
    response = client.get(reverse("imports:upload"))

    assert response.status_code == 200
    choices = [value for value, _label in response.context["form"].fields["target"].choices]
    assert choices == ["customers", "contacts", "transactions", "contacts-log", "leads"]
