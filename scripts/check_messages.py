"""Check the translation catalogues: every zh-Hans message translated (none fuzzy), and each .mo compiled from its .po.

Run by ``make lint``. Refresh catalogues with ``make messages``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "src" / "kehu" / "locale"


def untranslated(po_path: Path) -> list[str]:
    """msgids of entries with an empty msgstr or a fuzzy flag (the header entry excepted)."""
    problems: list[str] = []
    entries = po_path.read_text(encoding="utf-8").split("\n\n")
    for entry in entries:
        lines = [line for line in entry.strip().splitlines() if line and not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        msgid = "".join(line.split(" ", 1)[1].strip('"') if line.startswith("msgid ") else "" for line in lines)
        if msgid == "" and any(line.startswith('msgid ""') for line in lines[:2]) and "msgid_plural" not in entry:
            # header, or a multi-line msgid: collect continuation lines
            collected, in_id = [], False
            for line in lines:
                if line.startswith("msgid "):
                    in_id = True
                    collected.append(line[6:].strip('"'))
                elif in_id and line.startswith('"'):
                    collected.append(line.strip('"'))
                else:
                    in_id = False
            msgid = "".join(collected)
            if not msgid:
                continue  # the header
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            problems.append(f"fuzzy: {msgid}")
            continue
        strs, in_str = [], False
        for line in lines:
            if line.startswith("msgstr"):
                in_str = True
                strs.append(line.split(" ", 1)[1].strip('"'))
            elif in_str and line.startswith('"'):
                strs.append(line.strip('"'))
            elif not line.startswith('"'):
                in_str = in_str and line.startswith("msgstr")
        if not "".join(strs).strip():
            problems.append(f"untranslated: {msgid}")
    return problems


def missing_from_catalogue() -> list[str]:
    """Messages in the code and templates that the zh-Hans catalogue lacks: ``makemessages`` runs on a copy of the
    package, merging into the copy's catalogue, and whatever comes out untranslated there is missing here."""
    kehu = LOCALE.parent
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "kehu"
        shutil.copytree(kehu, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
        env = {**os.environ, "KEHU_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "kehu.settings"}
        kehu_command = str(Path(sys.executable).with_name("kehu"))
        result = subprocess.run([kehu_command, "makemessages", "-l", "zh_Hans", "--no-obsolete"], cwd=copy, env=env,
                                capture_output=True, text=True, check=False)
        if result.returncode:
            raise SystemExit(f"makemessages failed: {result.stderr.strip()}")
        return untranslated(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")


def main() -> int:
    failures = 0
    committed = {problem for po_path in LOCALE.glob("zh_Hans/LC_MESSAGES/django.po")
                 for problem in untranslated(po_path)}
    for problem in missing_from_catalogue():
        if problem not in committed:
            print(f"zh_Hans/LC_MESSAGES/django.po lacks a message of the code ({problem}): run make messages")
            failures += 1
    po_files = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
    if not po_files:
        print(f"no catalogues under {LOCALE}")
        return 1
    for po_path in po_files:
        if "zh_Hans" in str(po_path):
            for problem in untranslated(po_path):
                print(f"{po_path.relative_to(LOCALE)}: {problem}")
                failures += 1
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            print(f"{mo_path.relative_to(LOCALE)} is missing: run make messages")
            failures += 1
        elif shutil.which("msgfmt"):
            with tempfile.TemporaryDirectory() as tmp:
                fresh = Path(tmp) / "fresh.mo"
                subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po_path)], check=True)
                if fresh.read_bytes() != mo_path.read_bytes():
                    print(f"{mo_path.relative_to(LOCALE)} is not compiled from the current .po: run make messages")
                    failures += 1
    print(f"translation catalogues: {len(po_files)} checked, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
