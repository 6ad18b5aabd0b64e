"""``kehu … --help`` works without any configuration (no KEHU_SECRET_KEY, no database, no broker)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    ([], "kehu demo"),
    (["serve", "--help"], "usage: kehu serve"),
    (["worker", "--help"], "--once"),
    (["beat", "--help"], "beat"),
    (["import", "--help"], "usage: kehu import"),
    (["export", "-h"], "usage: kehu export"),
    (["score", "--help"], "usage: kehu score"),
    (["migrate", "--help"], "usage: kehu migrate"),
    (["demo", "--help"], "usage: kehu demo"),
    (["purge_import_files", "--help"], "KEHU_IMPORT_ERROR_FILE_DAYS"),
    (["bench", "--help"], "usage: kehu bench"),
]


def kehu() -> list[str]:
    script = Path(sys.executable).with_name("kehu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kehu.cli"]


@pytest.mark.parametrize(("args", "expected"), COMMANDS, ids=[" ".join(args) or "kehu" for args, _ in COMMANDS])
def test_help_needs_no_configuration(tmp_path, args, expected):
    # a clean environment: no KEHU_SECRET_KEY, KEHU_DEBUG, KEHU_TESTING, database or broker settings
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    result = subprocess.run([*kehu(), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert "KEHU_SECRET_KEY must be set" not in result.stderr


def test_without_help_the_secret_key_is_still_required(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    result = subprocess.run([*kehu(), "check"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "KEHU_SECRET_KEY must be set" in result.stderr
