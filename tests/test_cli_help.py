"""``kehu … --help`` works without any configuration (no KEHU_SECRET_KEY, no database, no broker).

Every command's help is read in process through the console entry (``kehu.cli.main``); two smoke tests start the real
console script with an empty environment, where "no configuration" is really so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

COMMANDS = [
    ([], "kehu demo"),
    (["serve", "--help"], "usage: kehu serve"),
    (["worker", "--help"], "--once"),
    (["beat", "--help"], "beat"),
    (["import", "--help"], "usage: kehu import"),
    (["export", "-h"], "usage: kehu export"),
    (["score", "--help"], "usage: kehu score"),
    (["cadence", "--help"], "usage: kehu cadence"),
    (["migrate", "--help"], "usage: kehu migrate"),
    (["demo", "--help"], "usage: kehu demo"),
    (["purge_import_files", "--help"], "KEHU_IMPORT_ERROR_FILE_DAYS"),
    (["bench", "--help"], "usage: kehu bench"),
]


def kehu() -> list[str]:
    script = Path(sys.executable).with_name("kehu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kehu.cli"]


def clean_environment(tmp_path: Path) -> dict[str, str]:
    """No KEHU_SECRET_KEY, KEHU_DEBUG, KEHU_TESTING, database or broker settings."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}


@pytest.mark.parametrize(("args", "expected"), COMMANDS, ids=[" ".join(args) or "kehu" for args, _ in COMMANDS])
def test_help_of_every_command(capsys, monkeypatch, args, expected):
    from kehu.cli import main

    monkeypatch.delenv("KEHU_SECRET_KEY", raising=False)
    with mock.patch.dict(os.environ):  # what the command sets (a throw-away key, KEHU_DEBUG for demo) goes after
        try:
            status = main(list(args))
        except SystemExit as stop:  # argparse and click end a help with exit 0
            status = stop.code or 0
    output = capsys.readouterr()
    assert status == 0, output.err
    assert expected in output.out
    assert "KEHU_SECRET_KEY must be set" not in output.err


@pytest.mark.parametrize(("args", "expected"), [(["import", "--help"], "usage: kehu import"), ([], "kehu demo")])
def test_help_needs_no_configuration(tmp_path, args, expected):
    result = subprocess.run([*kehu(), *args], env=clean_environment(tmp_path), cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert "KEHU_SECRET_KEY must be set" not in result.stderr


def test_without_help_the_secret_key_is_still_required(tmp_path):
    result = subprocess.run([*kehu(), "check"], env=clean_environment(tmp_path), cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "KEHU_SECRET_KEY must be set" in result.stderr
