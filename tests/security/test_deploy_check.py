"""`kehu check --deploy` with the production variables the README gives reports no issue.

The variables are read from the README's production block, so the documentation and the settings cannot drift apart.
Settings are read from the environment when the process starts, so the command runs in a fresh interpreter (the test
process has its own settings), through the `kehu` entry point.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_production_variables() -> dict[str, str]:
    text = README.read_text("utf-8")
    section = text.split("## Running it for an organisation", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's production section has no shell block"
    variables: dict[str, str] = {}
    for line in block.group(1).splitlines():
        if not line.startswith("export "):
            continue
        line = re.sub(r"\$\(python3 -c [^)]*\)\)'?\)?", secrets.token_urlsafe(50), line)
        for word in shlex.split(line)[1:]:
            name, _, value = word.partition("=")
            variables[name] = value
    return variables


def kehu(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("KEHU_", "DJANGO_"))}
    env.update(environment)
    return subprocess.run([sys.executable, "-m", "kehu.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_the_readme_gives_the_https_variables():
    variables = readme_production_variables()
    assert {"KEHU_SECRET_KEY", "KEHU_ALLOWED_HOSTS", "KEHU_HTTPS", "KEHU_BEHIND_PROXY"} <= set(variables)
    assert len(variables["KEHU_SECRET_KEY"]) >= 50


def test_check_deploy_with_the_readmes_production_variables_reports_nothing(tmp_path):
    variables = readme_production_variables()
    result = kehu("check", "--deploy", "--fail-level", "WARNING", **variables, KEHU_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_warns_without_https(tmp_path):
    """The check is not vacuous: without KEHU_HTTPS the same set-up is reported."""
    variables = readme_production_variables()
    variables.pop("KEHU_HTTPS")
    result = kehu("check", "--deploy", "--fail-level", "WARNING", **variables, KEHU_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in result.stderr + result.stdout
