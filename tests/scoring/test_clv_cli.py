"""``kehu clv fit`` through the console entry in process; one test starts the real script, no database configured."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kehu.cli import main as kehu_main
from kehu.scoring import clv

CDNOW_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "cdnow" / "CDNOW_sample.txt"


def run_kehu(*args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    return subprocess.run([sys.executable, "-m", "kehu.cli", *args], capture_output=True, text=True, env=environment,
                          timeout=120)


def test_clv_fit_json_reproduces_published_cdnow_parameters(capsys):
    code = kehu_main(["clv", "fit", str(CDNOW_SAMPLE), "--customer", "1", "--date", "2", "--amount", "4",
                      "--calibration-end", "1997-09-30", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    output = json.loads(captured.out)
    assert output["customers"] == 2357
    bg, gg = output["bgnbd"], output["gamma_gamma"]
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert [round(gg[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]
    assert round(output["log_likelihood"], 1) == -9582.4


def test_clv_fit_unreadable_file_exits_2():
    """The real console script in a process of its own, with no KEHU_ or DJANGO_ setting at all."""
    result = run_kehu("clv", "fit", "/nonexistent.csv", "--customer", "1", "--date", "2", "--amount", "4",
                      "--calibration-end", "1997-09-30")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


# --------------------------------------------------------------------------- files the developers had not seen

CAL_END = "2023-12-31"


def _transactions(seed: int = 5, customers: int = 300):
    """(customer id, datetime, amount) rows of a repeat-buying process, several rows per purchase day, shuffled;
    about one customer in twenty buys for the first time after the calibration end."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2023, 1, 2)
    rows = []
    for i in range(customers):
        first = rng.uniform(0, 120) if rng.random() > 0.05 else rng.uniform(370, 450)
        rate = rng.gamma(0.8, 1 / 30)  # purchases per day
        days = [first]
        while True:
            days.append(days[-1] + rng.exponential(1 / rate))
            if days[-1] > 500 or rng.random() < 0.15:
                break
        spend = rng.gamma(4.0, 60.0)
        for day in days[:-1] if days[-1] > 500 else days:
            for _ in range(int(rng.integers(1, 3))):
                when = start + dt.timedelta(days=int(day), seconds=int(rng.integers(0, 86400)))
                rows.append((f"C{i:04d}", when, round(float(rng.gamma(2.0, spend / 2)), 2) + 0.01))
    order = rng.permutation(len(rows))
    return [rows[k] for k in order]


def _expected(rows, unit="week"):
    """The fit computed from the rows in memory (no file reading involved)."""
    ids = np.array([c for c, _, _ in rows])
    days = np.array([w.date() for _, w, _ in rows], dtype="datetime64[D]")
    amounts = np.array([a for _, _, a in rows])
    s = clv.summarise_transactions(ids, days, amounts, CAL_END, unit=unit)
    return len(s), clv.fit_bgnbd(s.frequency, s.recency, s.T), clv.fit_gamma_gamma(s.frequency, s.monetary)


def _fit_json(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = kehu_main(["clv", "fit", *args, "--calibration-end", CAL_END, "--json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


def _assert_same_fit(output: dict, expected) -> None:
    n, bg, gg = expected
    assert output["customers"] == n
    assert output["bgnbd"] == pytest.approx(bg.as_dict(), rel=1e-6)
    assert output["gamma_gamma"] == pytest.approx(gg.as_dict(), rel=1e-6)
    assert output["log_likelihood"] == pytest.approx(bg.log_likelihood, rel=1e-9)


CHINESE = ["--customer", "客户编号", "--date", "交易时间", "--amount", "金额"]


def test_semicolon_utf8_bom_chinese_header_datetimes_and_thousands_separators(tmp_path, capsys):
    rows = _transactions()
    path = tmp_path / "订单.csv"
    lines = ["客户编号;交易时间;金额"] + [f"{c};{w:%Y-%m-%d %H:%M:%S};{a * 10:,.2f}" for c, w, a in rows]
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    code, output, err = _fit_json(capsys, str(path), *CHINESE)
    assert code == 0, err
    assert any(a * 10 >= 1000 for _, _, a in rows)  # "1,234.50" amounts are in the file
    _assert_same_fit(output, _expected([(c, w, a * 10) for c, w, a in rows]))


def test_gbk_tab_file_with_slash_dates_and_yuan_signs(tmp_path, capsys):
    """Before: "'utf-8' codec can't decode byte ..." and, once decoded, 2024/1/5 dates and ￥ amounts were refused."""
    rows = _transactions(seed=6)
    path = tmp_path / "orders.tsv"
    lines = ["客户编号\t交易时间\t金额"] + [f"{c}\t{w.year}/{w.month}/{w.day}\t￥{a:.2f}" for c, w, a in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    code, output, err = _fit_json(capsys, str(path), *CHINESE)
    assert code == 0, err
    _assert_same_fit(output, _expected(rows))


def test_xlsx_first_sheet(tmp_path, capsys):
    import xlsxwriter

    rows = _transactions(seed=7)
    path = tmp_path / "orders.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    when_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, ["客户编号", "交易时间", "金额"])
    for r, (c, w, a) in enumerate(rows, start=1):
        sheet.write_string(r, 0, c)
        sheet.write_datetime(r, 1, w, when_format)
        sheet.write_number(r, 2, a)
    workbook.close()
    code, output, err = _fit_json(capsys, str(path), *CHINESE)
    assert code == 0, err
    _assert_same_fit(output, _expected(rows))


def test_encoding_named_by_the_user_and_an_unknown_one(tmp_path, capsys):
    """The encoding choice is read as the imports read it (kehu.core.tables): any codec by name, one line for none."""
    rows = _transactions(seed=8)
    path = tmp_path / "commandes.csv"
    lines = ["clé client;date d'achat;montant"] + [f"{c};{w:%Y-%m-%d};{a:.2f}" for c, w, a in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    french = ["--customer", "clé client", "--date", "date d'achat", "--amount", "montant"]
    code, output, err = _fit_json(capsys, str(path), *french, "--encoding", "Latin_1")
    assert code == 0, err
    _assert_same_fit(output, _expected(rows))
    code, _output, err = _fit_json(capsys, str(path), *french, "--encoding", "klingon")
    assert code == 2 and err.count("\n") == 1 and "unknown encoding 'klingon'" in err


def test_malformed_rows_are_skipped_and_counted_on_stderr(tmp_path, capsys):
    """Before: one blank or malformed amount/date anywhere aborted the whole file ("could not convert string")."""
    rows = _transactions(seed=8)
    path = tmp_path / "dirty.csv"
    lines = ["order,customer_id,order_date,amount"]
    bad = {3: ("", None), 10: ("n/a", None), 20: (None, ""), 30: (None, "2023-13-45"), 40: (None, "soon")}
    kept = []
    for i, (c, w, a) in enumerate(rows):
        amount, date = f'"{a:,.2f}"' if i % 2 else f"¥{a:.2f}", f"{w:%Y-%m-%d %H:%M:%S}"
        if i in bad:
            amount = bad[i][0] if bad[i][0] is not None else amount
            date = bad[i][1] if bad[i][1] is not None else date
        else:
            kept.append((c, w, a))
        lines.append(f"#{1000 + i},{c},{date},{amount}")  # Shopify-style "#1001" order names
        if i == 50:
            lines.append(f"#x,{c}")  # a short row
            lines.append("")  # a blank line is not a row
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output, err = _fit_json(capsys, str(path), "--customer", "customer_id", "--date", "order_date",
                                  "--amount", "amount")
    assert code == 0, err
    _assert_same_fit(output, _expected(kept))
    assert f"skipped 6 of {len(rows) + 1:,} rows" in err
    assert "first at line 5: amount '' is not a number" in err


def test_no_usable_row_exits_2_naming_the_line(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("customer_id,order_date,amount\n\nC1,2023-02-30,12\nC1,2023-03-01,x\n", encoding="utf-8")
    code, _, err = _fit_json(capsys, str(path), "--customer", "customer_id", "--date", "order_date",
                             "--amount", "amount")
    assert code == 2
    assert err.count("\n") == 1 and "line 3: date '2023-02-30' is not a date" in err


def test_rows_after_calibration_end_are_ignored_and_said_so(tmp_path, capsys):
    rows = _transactions(seed=9)
    path = tmp_path / "orders.txt"  # whitespace separated, no header, YYYYMMDD, zero-padded numeric ids
    path.write_text("".join(f"{c[1:]}  {w:%Y%m%d}  {a:.2f}\n" for c, w, a in rows), encoding="utf-8")
    code, output, err = _fit_json(capsys, str(path), "--customer", "0", "--date", "1", "--amount", "2")
    assert code == 0, err
    expected = _expected([(c[1:], w, a) for c, w, a in rows])
    _assert_same_fit(output, expected)
    late = [w for _, w, _ in rows if w.date() > dt.date(2023, 12, 31)]
    only_late = {c for c, _, _ in rows} - {c for c, w, _ in rows if w.date() <= dt.date(2023, 12, 31)}
    assert late and only_late
    assert output["customers"] == len({c for c, _, _ in rows}) - len(only_late)
    assert f"ignored {len(late):,} rows dated after the calibration end 2023-12-31 ({len(only_late)} customers" in err

    code, _, err = _fit_json(capsys, str(path), "--customer", "0", "--date", "1", "--amount", "2", "--unit", "day")
    assert code == 0


@pytest.mark.parametrize(
    ("calibration_end", "message"),
    [("2023-02-30", "calibration end '2023-02-30' is not a date"), ("2022-01-01", "no transactions on or before")],
)
def test_bad_calibration_end_is_one_line_exit_2(tmp_path, capsys, calibration_end, message):
    path = tmp_path / "t.csv"
    path.write_text("c,d,a\n1,2023-01-05,3\n1,2023-02-05,4\n", encoding="utf-8")
    code = kehu_main(["clv", "fit", str(path), "--customer", "c", "--date", "d", "--amount", "a",
                      "--calibration-end", calibration_end])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err


def test_directory_and_non_spreadsheet_exit_2(tmp_path, capsys):
    code = kehu_main(["clv", "fit", str(tmp_path), "--customer", "0", "--date", "1", "--amount", "2",
                      "--calibration-end", CAL_END])
    assert code == 2 and "Is a directory" in capsys.readouterr().err
    fake = tmp_path / "orders.xlsx"
    fake.write_text("not a workbook")
    code = kehu_main(["clv", "fit", str(fake), "--customer", "0", "--date", "1", "--amount", "2",
                      "--calibration-end", CAL_END])
    assert code == 2 and "cannot read" in capsys.readouterr().err


def test_unidentified_model_is_flagged_on_stderr(tmp_path, capsys):
    path = tmp_path / "tiny.csv"
    path.write_text("c,d,a\nC1,2023-01-05,10\nC1,2023-02-05,12\nC2,2023-01-07,5\n", encoding="utf-8")
    code, output, err = _fit_json(capsys, str(path), "--customer", "c", "--date", "d", "--amount", "a")
    assert code == 0 and output["customers"] == 2
    assert "does not identify Gamma-Gamma" in err and err.count("\n") <= 2


def test_help_documents_columns_and_malformed_rows(capsys):
    with pytest.raises(SystemExit) as exit_info:
        kehu_main(["clv", "fit", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "0-based position" in text and "1-based" not in text
    assert "Malformed rows" in text and "skipped" in text and "exit status 2" in text
