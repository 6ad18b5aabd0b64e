"""The demo ships cadence rules for the primary scheme's tiers and the key/potential classes; `kehu cadence` after the
demo creates the due tasks once (the second run for the same day creates none)."""

from __future__ import annotations

import subprocess

import pytest

from kehu.customers.models import CustomerTier
from kehu.relations.models import CadenceRule
from kehu.scoring.models import TierScheme
from kehu.work.models import Task
from tests.demo.test_demo import run_demo


@pytest.mark.django_db
def test_demo_rules_then_cadence_twice(capsys, monkeypatch):
    from django.db import connections

    from kehu.cli import main

    run_demo()
    primary = TierScheme.objects.get(is_primary=True)
    codes = [tier.code for tier in primary.tiers]
    rules = CadenceRule.objects.all()
    assert rules.filter(tier=codes[0], channel="phone", every=1, unit="week").exists()
    assert rules.filter(tier=codes[0], channel="visit", unit="quarter").exists()
    assert rules.filter(management_class="key", tier="").exists()
    assert not rules.filter(tier=codes[-1]).exists()  # the lowest tier has no cadence
    assert CustomerTier.objects.filter(tier=codes[0]).exists()

    monkeypatch.setattr(connections, "close_all", lambda: None)

    def cadence() -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        try:
            code = main(["cadence"])
        except SystemExit as stop:
            code = stop.code or 0
        output = capsys.readouterr()
        return subprocess.CompletedProcess(["cadence"], code, output.out, output.err)

    first = cadence()
    assert first.returncode == 0, first.stderr
    created = int(first.stdout.splitlines()[-1].split(",")[0].rsplit(" ", 1)[1])
    assert created > 0 and Task.objects.filter(kind="cadence").count() == created
    second = cadence()
    assert second.stdout.splitlines()[-1] == "due tasks created 0, overdue 0"
