"""``kehu clv fit`` through the installed command line, with no database configured."""

import json
import os
import subprocess
import sys
from pathlib import Path

CDNOW_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "cdnow" / "CDNOW_sample.txt"


def run_kehu(*args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    return subprocess.run([sys.executable, "-m", "kehu.cli", *args], capture_output=True, text=True, env=environment,
                          timeout=120)


def test_clv_fit_json_reproduces_published_cdnow_parameters():
    result = run_kehu("clv", "fit", str(CDNOW_SAMPLE), "--customer", "1", "--date", "2", "--amount", "4",
                      "--calibration-end", "1997-09-30", "--json")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["customers"] == 2357
    bg, gg = output["bgnbd"], output["gamma_gamma"]
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert [round(gg[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]
    assert round(output["log_likelihood"], 1) == -9582.4


def test_clv_fit_unreadable_file_exits_2():
    result = run_kehu("clv", "fit", "/nonexistent.csv", "--customer", "1", "--date", "2", "--amount", "4",
                      "--calibration-end", "1997-09-30")
    assert result.returncode == 2
    assert "cannot read" in result.stderr
