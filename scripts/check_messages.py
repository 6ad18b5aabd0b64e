"""Check the translation catalogues: every zh-Hans message translated (none fuzzy), and each .mo compiled from its .po.

Run by ``make lint``. Refresh catalogues with ``make messages``.
"""

from __future__ import annotations

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


def main() -> int:
    failures = 0
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
